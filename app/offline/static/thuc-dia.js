// The offline inspector page (issue 20): the area pack from IndexedDB, nearest facility first by the phone's
// GPS, inspections saved on the phone at once (UUID, status, note, up to 3 photos shrunk to ≤ 1600 px,
// location and its accuracy, time) and sent when the connection returns or on "Gửi ngay".
(function () {
    const Store = window.PhusongStore;
    const Sync = window.PhusongSync;
    const LONG_SIDE_PX = 1600;
    const MAX_PHOTOS = 3;
    const CHOICES = ["operational", "degraded", "broken", "decommissioned"];
    const COLOURS = {operational: "#198754", degraded: "#fd7e14", broken: "#dc3545", decommissioned: "#6c757d",
                     planned: "#0dcaf0", unknown: "#6f42c1"};
    const state = {reachable: true, pack: null, pending: [], sent: [], here: null, open: null, photos: [], status: null, map: null};
    const $ = function (id) { return document.getElementById(id); };

    function el(tag, attrs, children) {
        const node = document.createElement(tag);
        Object.keys(attrs || {}).forEach(function (k) {
            if (k === "text") { node.textContent = attrs[k]; } else { node.setAttribute(k, attrs[k]); }
        });
        (children || []).forEach(function (c) { if (c) { node.appendChild(c); } });
        return node;
    }

    function word(kind, code) {
        const list = (state.pack && state.pack[kind]) || [];
        const found = list.find(function (w) { return w.code === code; });
        return found ? found.label_vi : (code || "–");
    }

    function hhmm(iso) {
        return new Date(iso).toLocaleTimeString("vi-VN", {hour: "2-digit", minute: "2-digit", hour12: false});
    }

    function day(iso) { return iso ? new Date(iso).toLocaleDateString("vi-VN") : "chưa kiểm tra"; }

    function metres(a, b) {  // haversine, mean earth radius
        const r = Math.PI / 180;
        const h = Math.pow(Math.sin((b.lat - a.lat) * r / 2), 2) + Math.cos(a.lat * r) * Math.cos(b.lat * r) *
            Math.pow(Math.sin((b.lon - a.lon) * r / 2), 2);
        return 2 * 6371008.8 * Math.asin(Math.sqrt(h));
    }

    function distanceText(m) { return m >= 1000 ? (m / 1000).toFixed(1).replace(".", ",") + " km" : Math.round(m) + " m"; }

    function say(text, kind) {
        $("td-message").replaceChildren(text ? el("div", {"class": "alert py-2 alert-" + (kind || "info"),
                                                          id: "td-alert", text: text}) : document.createTextNode(""));
    }

    function conflictOf(f) {  // the pack's (after a sync) or the sync's own answer: another inspector's later status
        if (f.conflict_by) { return {by: f.conflict_by, at: f.conflict_at}; }
        const mine = state.sent.filter(function (s) {
            return s.facility_id === f.id && s.outcome && s.outcome.conflict && s.outcome.conflict.decides === "theirs";
        }).sort(function (a, b) { return a.inspected_at < b.inspected_at ? 1 : -1; })[0];
        return mine ? mine.outcome.conflict : null;
    }

    function ordered() {
        const list = (state.pack ? state.pack.facilities : []).slice();
        if (state.here) {
            list.forEach(function (f) { f._m = metres(state.here, f); });
            list.sort(function (a, b) { return a._m - b._m; });
        } else {
            list.sort(function (a, b) { return (a.last_inspected_at || "") < (b.last_inspected_at || "") ? -1 : 1; });
        }
        // Issue 23, "Việc của tôi": the user's assigned facilities first, overdue first, by due date (stable sort)
        list.sort(function (a, b) {
            const ta = taskOf(a), tb = taskOf(b);
            const ka = ta ? (isOverdue(ta) ? "0" : "1") + ta.due_date : "2", kb = tb ? (isOverdue(tb) ? "0" : "1") + tb.due_date : "2";
            return ka < kb ? -1 : (ka > kb ? 1 : 0);
        });
        return list;
    }

    function taskOf(f) {
        return ((state.pack && state.pack.assignments) || []).find(function (a) { return a.facility_id === f.id; }) || null;
    }

    function isOverdue(task) {  // judged on the phone's own date: the pack may be days old
        const now = new Date();
        const today = now.getFullYear() + "-" + String(now.getMonth() + 1).padStart(2, "0") + "-" +
            String(now.getDate()).padStart(2, "0");
        return task.due_date < today;
    }

    function taskBadge(f) {
        const task = taskOf(f);
        if (!task) { return null; }
        const due = task.due_date.split("-").reverse().join("/");
        return el("span", {"class": "badge ms-1 td-task " + (isOverdue(task) ? "bg-danger" : "bg-primary"),
                           text: (isOverdue(task) ? "Quá hạn · hạn " : "Việc của tôi · hạn ") + due});
    }

    function item(f) {
        const waiting = state.pending.filter(function (p) { return p.facility_id === f.id; });
        const conflict = conflictOf(f);
        const head = el("div", {}, [el("b", {text: f.name || word("types", f.type)}),
            el("span", {"class": "badge ms-2", style: "background:" + (COLOURS[f.status] || "#6c757d"),
                        text: word("statuses", f.status)})]);
        const task = taskBadge(f);
        if (task) { head.appendChild(task); }
        if (waiting.length) {
            head.appendChild(el("span", {"class": "badge bg-warning text-dark ms-1 td-pending-mark",
                                         text: "chờ gửi: " + word("statuses", waiting[waiting.length - 1].status)}));
        }
        const distance = state.here ? " · " + distanceText(f._m) : "";
        const node = el("button", {type: "button", "class": "list-group-item list-group-item-action td-item",
                                   id: "td-f-" + f.id, "data-id": String(f.id)}, [head,
            el("div", {"class": "small", text: word("types", f.type) + " · " + commune(f.commune_code) + distance}),
            el("div", {"class": "small text-muted", text: "Kiểm tra lần cuối: " + day(f.last_inspected_at) +
                       (f.last_inspector ? " (" + f.last_inspector + ")" : "") +
                       (f.external_id ? " · Mã: " + f.external_id : "")}),
            conflict ? el("div", {"class": "td-conflict", text: "Trạng thái đã được " + conflict.by +
                                  " cập nhật lúc " + hhmm(conflict.at)}) : null]);
        node.addEventListener("click", function () { openForm(f); });
        return node;
    }

    function commune(code) {
        const c = (state.pack.communes || []).find(function (x) { return x.code === code; });
        return c ? c.name : code;
    }

    function render() {
        const count = state.pending.filter(function (p) { return !p.refused; }).length;
        $("td-badge").textContent = count + " chưa gửi";
        $("td-badge").dataset.count = String(count);
        const online = navigator.onLine && state.reachable;
        $("td-net").textContent = online ? "Có mạng" : "Không có mạng";
        $("td-net").className = "badge " + (online ? "bg-success" : "bg-secondary");
        $("td-where").textContent = state.here ? "Vị trí: " + state.here.lat.toFixed(5) + ", " +
            state.here.lon.toFixed(5) + " (±" + Math.round(state.here.accuracy_m || 0) + " m) · gần nhất ở trên cùng"
            : "Chưa có vị trí GPS: thiết chế lâu chưa kiểm tra nhất ở trên cùng.";
        if (!state.pack) { $("td-list").replaceChildren(); renderPending(); return; }
        $("td-pack-info").textContent = "Dữ liệu: " + state.pack.communes.map(function (c) {
            return c.name + " (" + c.class_label + ")";
        }).join(", ") + " · " + state.pack.facilities.length + " thiết chế · tải lúc " + hhmm(state.pack.built_at);
        $("td-list").replaceChildren.apply($("td-list"), ordered().slice(0, 60).map(item));
        renderPending();
        drawMap();
    }

    function renderPending() {
        $("td-pending").replaceChildren.apply($("td-pending"), state.pending.map(function (p) {
            return el("li", {"class": "list-group-item small td-pending-item", "data-uuid": p.uuid,
                             text: (p.facility_name || "#" + p.facility_id) + " · " + word("statuses", p.status) +
                                   " · " + hhmm(p.inspected_at) + ((p.photos || []).length ? " · " +
                                   p.photos.length + " ảnh" : "") + (p.refused ? " · bị từ chối: " + p.refused : "")});
        }));
    }

    function drawMap() {
        if (!window.L || !state.pack) { return; }
        if (!state.map) { state.map = window.L.map("td-map", {zoomControl: true, attributionControl: false}); }
        if (state.layer) { state.layer.remove(); }
        const layer = window.L.featureGroup();
        state.pack.communes.forEach(function (c) {
            if (c.outline) { window.L.geoJSON(c.outline, {style: {color: "#0d6efd", weight: 1, fillOpacity: 0.05}}).addTo(layer); }
        });
        state.pack.facilities.forEach(function (f) {
            window.L.circleMarker([f.lat, f.lon], {radius: 6, color: COLOURS[f.status] || "#6c757d", fillOpacity: 0.8})
                .on("click", function () { openForm(f); }).addTo(layer);
        });
        if (state.here) { window.L.circleMarker([state.here.lat, state.here.lon], {radius: 7, color: "#000"}).addTo(layer); }
        state.layer = layer.addTo(state.map);
        if (!state.fitted && layer.getLayers().length) { state.map.fitBounds(layer.getBounds()); state.fitted = true; }
    }

    async function reload() {
        state.pack = (await Store.getMeta("pack")) || null;
        state.pending = (await Store.listPending()) || [];
        state.sent = (await Store.listSent()) || [];
        render();
    }

    async function update(quiet) {
        if (!navigator.onLine) { if (!quiet) { say("Không có mạng: dùng dữ liệu đã tải.", "warning"); } return; }
        try {
            await Sync.fetchPack();
            state.reachable = true;
            if (!quiet) { say("Dữ liệu đã được cập nhật.", "success"); }
        } catch (error) { failed(error); }
        await reload();
    }

    function failed(error) {
        if (error && error.needLogin) {
            const link = el("a", {href: "/login?next=/thuc-dia/", "class": "alert-link", text: "Đăng nhập lại"});
            $("td-message").replaceChildren(el("div", {"class": "alert alert-warning py-2", id: "td-alert"}, [
                document.createTextNode("Phiên làm việc đã hết: các phiếu vẫn được giữ trên máy. "), link]));
        } else if (error instanceof TypeError) {  // no answer at all: no signal, whatever the phone believes
            state.reachable = false;
            say("Không có mạng: phiếu được giữ trên máy và tự gửi khi có sóng.", "secondary");
        } else {
            say("Chưa gửi được: " + ((error && error.message) || "lỗi mạng") + ". Sẽ thử lại.", "warning");
        }
    }

    async function send(quiet) {
        if (!navigator.onLine) { if (!quiet) { say("Không có mạng: phiếu được giữ trên máy và tự gửi khi có sóng.", "warning"); } return; }
        try {
            const sent = await Sync.sendPending();
            state.reachable = true;
            if (sent) { await Sync.fetchPack(); }  // statuses, versions and the communes' coverage, current
            await reload();
            const theirs = state.sent.filter(function (s) { return s.outcome && s.outcome.conflict &&
                s.outcome.conflict.decides === "theirs" && !s.told; });
            if (theirs.length) {
                const c = theirs[0].outcome.conflict;
                say("Trạng thái đã được " + c.by + " cập nhật lúc " + hhmm(c.at) + " (sau phiếu của bạn).", "warning");
                for (const s of theirs) { s.told = true; await Store.putSent(s); }
            } else if (sent || !quiet) { say(sent ? "Đã gửi " + sent + " phiếu." : "Không còn phiếu chờ gửi.", "success"); }
        } catch (error) { failed(error); await reload(); }
    }

    function openForm(f) {
        state.open = f; state.photos = []; state.status = null;
        $("td-form-title").textContent = f.name || word("types", f.type);
        $("td-form-facts").textContent = word("types", f.type) + " · " + commune(f.commune_code) + " · Tình trạng: " +
            word("statuses", f.status) + " · Kiểm tra lần cuối: " + day(f.last_inspected_at);
        $("td-status").replaceChildren.apply($("td-status"), CHOICES.map(function (code) {
            const b = el("button", {type: "button", "class": "btn btn-outline-primary btn-lg", "data-status": code,
                                    id: "td-status-" + code, text: word("statuses", code)});
            b.addEventListener("click", function () {
                state.status = code;
                $("td-status").querySelectorAll("button").forEach(function (x) { x.classList.toggle("active", x === b); });
            });
            return b;
        }));
        $("td-note").value = ""; $("td-photos").replaceChildren(); $("td-form-error").textContent = "";
        $("td-form-location").textContent = state.here ? "Vị trí: " + state.here.lat.toFixed(5) + ", " +
            state.here.lon.toFixed(5) + " (±" + Math.round(state.here.accuracy_m) + " m)" : "Vị trí: –";
        $("td-form").hidden = false;
        $("td-form").scrollIntoView();
    }

    function shrink(file) {  // a JPEG of at most 1600 px on its long side, white under any transparency
        return new Promise(function (resolve, reject) {
            const url = URL.createObjectURL(file);
            const image = new Image();
            image.onload = function () {
                const scale = Math.min(1, LONG_SIDE_PX / Math.max(image.naturalWidth, image.naturalHeight));
                const canvas = el("canvas", {});
                canvas.width = Math.max(1, Math.round(image.naturalWidth * scale));
                canvas.height = Math.max(1, Math.round(image.naturalHeight * scale));
                const context = canvas.getContext("2d");
                context.fillStyle = "#ffffff";
                context.fillRect(0, 0, canvas.width, canvas.height);
                context.drawImage(image, 0, 0, canvas.width, canvas.height);
                URL.revokeObjectURL(url);
                canvas.toBlob(function (blob) { blob ? resolve(blob) : reject(new Error("ảnh")); }, "image/jpeg", 0.85);
            };
            image.onerror = function () { URL.revokeObjectURL(url); reject(new Error("Tệp này không phải ảnh.")); };
            image.src = url;
        });
    }

    async function addPhotos(files) {
        for (const file of Array.from(files).slice(0, MAX_PHOTOS - state.photos.length)) {
            try {
                const blob = await shrink(file);
                state.photos.push(blob);
                $("td-photos").appendChild(el("img", {src: URL.createObjectURL(blob), alt: "Ảnh " + state.photos.length,
                                                      "class": "td-photo-thumb"}));
            } catch (error) { $("td-form-error").textContent = error.message; }
        }
        $("td-photo").value = "";
    }

    function newUuid() {
        if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
        const b = crypto.getRandomValues(new Uint8Array(16));
        b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
        const h = Array.from(b, function (x) { return x.toString(16).padStart(2, "0"); }).join("");
        return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
    }

    async function save() {
        const f = state.open;
        if (!state.status) { $("td-form-error").textContent = "Hãy chọn tình trạng."; return; }
        const here = state.here || {};
        await Store.addPending({uuid: newUuid(), facility_id: f.id, facility_name: f.name || word("types", f.type),
                                status: state.status, note: $("td-note").value.trim(), photos: state.photos.slice(),
                                lon: here.lon == null ? null : here.lon, lat: here.lat == null ? null : here.lat,
                                accuracy_m: here.accuracy_m == null ? null : here.accuracy_m,
                                inspected_at: new Date().toISOString(), base_version: f.version});
        $("td-form").hidden = true;
        state.open = null;
        say("Đã lưu trên máy: " + (f.name || word("types", f.type)) + ".", "success");
        await reload();
        send(true);
    }

    function watchPosition() {
        if (!navigator.geolocation) { return; }
        navigator.geolocation.watchPosition(function (p) {
            state.here = {lon: p.coords.longitude, lat: p.coords.latitude, accuracy_m: p.coords.accuracy};
            render();
        }, function () {}, {enableHighAccuracy: true, maximumAge: 30000, timeout: 20000});
    }

    async function start() {
        $("td-send").addEventListener("click", function () { send(false); });
        $("td-update").addEventListener("click", function () { update(false); });
        $("td-cancel").addEventListener("click", function () { $("td-form").hidden = true; state.open = null; });
        $("td-save").addEventListener("click", save);
        $("td-photo").addEventListener("change", function (e) { addPhotos(e.target.files); });
        window.addEventListener("online", function () { send(true).then(function () { return update(true); }); });
        window.addEventListener("offline", render);
        setInterval(function () { if (navigator.onLine && state.pending.some(function (p) { return !p.refused; })) { send(true); } }, 15000);
        if ("serviceWorker" in navigator) {
            navigator.serviceWorker.register("/thuc-dia/sw.js", {scope: "/thuc-dia/"}).catch(function () {});
        }
        await reload();
        watchPosition();
        await update(true);
        await send(true);
        document.body.dataset.ready = "1";
    }

    start();
})();
