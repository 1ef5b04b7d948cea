// The offline page's traffic with the server (issue 20): the area pack (ETag: a pack the phone has already
// answers 304) and the sync of the inspections saved on the phone. Each inspection carries its UUID, so a send
// repeated or cut after the server stored it is stored once. The sync is a same-origin POST with the session's
// CSRF token, which the pack's answer brings (X-CSRF-Token).
window.PhusongSync = (function () {
    const Store = window.PhusongStore;
    const BATCH = 10;
    let sending = null;

    function NeedLogin() { this.needLogin = true; }

    function packUrl() {
        const communes = new URLSearchParams(window.location.search).get("communes");
        return "/thuc-dia/api/pack" + (communes ? "?communes=" + encodeURIComponent(communes) : "");
    }

    async function fetchPack() {
        const meta = (await Store.getMeta("pack-meta")) || {};
        const headers = meta.etag && meta.url === packUrl() ? {"If-None-Match": meta.etag} : {};
        const response = await fetch(packUrl(), {headers: headers, credentials: "same-origin", redirect: "manual",
                                                 cache: "no-store"});
        if (response.type === "opaqueredirect" || response.status === 401) { throw new NeedLogin(); }
        const token = response.headers.get("X-CSRF-Token");
        if (token) { await Store.setMeta("csrf", token); }
        if (response.status === 304) { return null; }
        if (!response.ok) {
            const body = await response.json().catch(function () { return {}; });
            throw new Error(body.error || ("HTTP " + response.status));
        }
        const pack = await response.json();
        await Store.setMeta("pack", pack);
        await Store.setMeta("pack-meta", {etag: response.headers.get("ETag"), url: packUrl(), at: Date.now(),
                                          bytes: Number(response.headers.get("Content-Length")) || null});
        return pack;
    }

    function fields(item) {
        return {uuid: item.uuid, facility_id: item.facility_id, status: item.status, note: item.note,
                inspected_at: item.inspected_at, lon: item.lon, lat: item.lat, accuracy_m: item.accuracy_m,
                base_version: item.base_version};
    }

    async function post(batch) {
        const form = new FormData();
        form.append("csrf_token", (await Store.getMeta("csrf")) || "");
        form.append("inspections", JSON.stringify(batch.map(fields)));
        batch.forEach(function (item) {
            (item.photos || []).forEach(function (blob, i) {
                form.append("photo:" + item.uuid + ":" + (i + 1), blob, "anh-" + (i + 1) + ".jpg");
            });
        });
        const response = await fetch("/thuc-dia/api/sync", {method: "POST", body: form, credentials: "same-origin",
                                                             redirect: "manual"});
        if (response.type === "opaqueredirect" || response.status === 401) { throw new NeedLogin(); }
        return {status: response.status, body: await response.json().catch(function () { return {}; })};
    }

    async function keepAside(item, message) {
        item.refused = message || "Máy chủ từ chối phiếu này.";
        await Store.addPending(item);
    }

    async function record(batch, body) {
        const byUuid = {};
        batch.forEach(function (item) { byUuid[item.uuid] = item; });
        for (const result of body.results || []) {
            const item = byUuid[result.uuid];
            if (!item) { continue; }
            if (result.state === "refused") { await keepAside(item, result.message); continue; }
            await Store.putSent({uuid: item.uuid, facility_id: item.facility_id, facility_name: item.facility_name,
                                 status: item.status, inspected_at: item.inspected_at, state: result.state,
                                 outcome: result.outcome || null, sent_at: new Date().toISOString()});
            await Store.deletePending(item.uuid);
        }
    }

    async function sendBatch(batch) {
        let answer = await post(batch);
        if (answer.status === 400 && !answer.body.results) {  // the session's token changed: take it anew, once
            await fetchPack();
            answer = await post(batch);
        }
        if (answer.status === 403 && answer.body.refused) {
            const refused = new Set(answer.body.refused);
            for (const item of batch.filter(function (i) { return refused.has(i.uuid); })) {
                await keepAside(item, "Thiết chế ngoài phạm vi của bạn.");
            }
            const rest = batch.filter(function (i) { return !refused.has(i.uuid); });
            return rest.length ? sendBatch(rest) : 0;
        }
        if (answer.status !== 200) {
            for (const item of batch) { await keepAside(item, answer.body.error); }
            return 0;
        }
        await record(batch, answer.body);
        return batch.length;
    }

    async function sendAll() {
        const waiting = (await Store.listPending()).filter(function (i) { return !i.refused; });
        waiting.sort(function (a, b) { return a.inspected_at < b.inspected_at ? -1 : 1; });
        let sent = 0;
        for (let start = 0; start < waiting.length; start += BATCH) {
            sent += await sendBatch(waiting.slice(start, start + BATCH));
        }
        return sent;
    }

    // One send at a time: a tap on "Gửi ngay" during an automatic send waits for it.
    function sendPending() {
        if (!sending) {
            sending = sendAll().finally(function () { sending = null; });
        }
        return sending;
    }

    return {fetchPack: fetchPack, sendPending: sendPending, NeedLogin: NeedLogin};
})();
