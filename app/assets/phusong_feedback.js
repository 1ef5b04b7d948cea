// The citizen feedback register (app/pages/feedback.py, issue 21): the reports arrive as plain text (fb-rows)
// and are drawn here as a table (desktop) and as cards (phone; CSS shows one or the other). A click, or Enter,
// on a row or card sets fb-act-id, whose server callback checks the scope and opens the report. Text goes in
// with textContent only (a citizen's words are never parsed as HTML). The map's reports are one GeoJSON layer
// drawn by reportPoint. Served locally; no inline script (the CSP refuses it).
window.phusong = window.phusong || {};
window.phusong.feedback = {
    reportPoint: function (feature, latlng) {
        const p = feature.properties;
        const marker = L.circleMarker(latlng, {radius: p.exact ? 8 : 6, color: p.colour, fillColor: p.colour,
                                               fillOpacity: p.exact ? 0.8 : 0.4, dashArray: p.exact ? null : "3"});
        return marker.bindTooltip(p.tooltip);
    }
};

window.dash_clientside = window.dash_clientside || {};
window.dash_clientside.phusong_feedback = {
    render: function (data) {
        const host = document.getElementById("fb-table");
        if (!host || !data) { return window.dash_clientside.no_update; }
        const el = function (tag, className, text) {
            const node = document.createElement(tag);
            if (className) { node.className = className; }
            if (text !== undefined && text !== null) { node.textContent = text; }
            return node;
        };
        const badge = function () { return el("span", "badge bg-danger ms-1", data.overdue_label); };
        const selectable = function (node, id, prefix) {
            node.id = prefix + id;
            node.tabIndex = 0;
            node.dataset.report = String(id);
        };
        const content = el("div");
        if (!data.rows.length) {
            content.append(el("div", "alert alert-light", data.empty));
        } else {
            const wide = el("div", "fb-table-wide");
            const table = el("table", "table table-sm table-striped table-hover small");
            const head = el("tr");
            data.header.forEach(function (h) { head.append(el("th", null, h)); });
            table.append(el("thead")); table.tHead.append(head);
            const body = el("tbody");
            const cards = el("div", "fb-cards");
            data.rows.forEach(function (r) {
                const tr = el("tr", "fb-row");
                selectable(tr, r.id, "fb-row-");
                r.cells.forEach(function (c, i) {
                    const td = el("td", null, c);
                    if (i === data.status_column && r.overdue) { td.append(badge()); }
                    tr.append(td);
                });
                body.append(tr);
                const card = el("div", "fb-card border rounded p-2 mb-2 small");
                selectable(card, r.id, "fb-card-");
                const title = el("div");
                title.append(el("b", null, r.title), " · " + r.cells[data.status_column]);
                if (r.overdue) { title.append(badge()); }
                card.append(title, el("div", "text-muted", r.meta), el("div", null, r.text));
                cards.append(card);
            });
            table.append(body);
            wide.append(table);
            content.append(wide, cards);
        }
        host.replaceChildren(content);
        if (!host.dataset.listening) {
            host.dataset.listening = "1";
            const pick = function (event) {
                const target = event.target.closest("[data-report]");
                if (!target || (event.type === "keydown" && event.key !== "Enter")) { return; }
                window.dash_clientside.set_props("fb-act-id", {value: Number(target.dataset.report)});
            };
            host.addEventListener("click", pick);
            host.addEventListener("keydown", pick);
        }
        return String(data.rows.length);
    }
};
