// Map styling functions for dash-leaflet (referenced as {"variable": "phusong.map.<name>"}): served locally.
// Palette (issue 21), colour-blind safe: service classes in ColorBrewer RdYlBu (red / pale yellow / blue, safe for
// the three common colour-vision deficiencies), share reached in ColorBrewer YlGnBu (sequential, safe). Facilities
// are black-and-white symbols whatever their status, so they never mix with the fill colours: the status is
// the SHAPE (circle, triangle, crossed square, hollow circle, hollow diamond), the type the size.
window.phusong = window.phusong || {};
window.phusong.map = (function () {
    const classColours = {unserved: "#d73027", underserved: "#fee090", served: "#4575b4"};
    const noData = "#bdbdbd";
    // Share of people reached: 5 steps, ColorBrewer YlGnBu.
    const shareSteps = [0.2, 0.4, 0.6, 0.8];
    const shareColours = ["#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494"];
    // One SVG shape per facility status (app/pages/map_layers.py draws the same ones in the legend).
    const statusShapes = {
        operational: '<circle cx="8" cy="8" r="5.5" fill="#111" stroke="#fff" stroke-width="1.5"/>',
        degraded: '<path d="M8 1.8 L14.2 13.6 L1.8 13.6 Z" fill="#111" stroke="#fff" stroke-width="1.3"/>',
        broken: '<rect x="2.2" y="2.2" width="11.6" height="11.6" fill="#fff" stroke="#111" stroke-width="1.6"/>' +
                '<path d="M4.5 4.5 L11.5 11.5 M11.5 4.5 L4.5 11.5" stroke="#111" stroke-width="1.6"/>',
        decommissioned: '<circle cx="8" cy="8" r="5.2" fill="#fff" stroke="#555" stroke-width="1.6" ' +
                        'stroke-dasharray="2 1.6"/>',
        planned: '<path d="M8 1.5 L14.5 8 L8 14.5 L1.5 8 Z" fill="#fff" stroke="#111" stroke-width="1.6"/>',
        unknown: '<rect x="3" y="3" width="10" height="10" fill="#fff" stroke="#555" stroke-width="1.6" ' +
                 'stroke-dasharray="2 1.6"/>'
    };

    function shareColour(share) {
        if (share === null || share === undefined) { return noData; }
        let i = 0;
        while (i < shareSteps.length && share >= shareSteps[i]) { i += 1; }
        return shareColours[i];
    }

    function communeStyle(feature, context) {
        const hideout = (context && context.hideout) || {};
        const p = feature.properties;
        const fill = hideout.mode === "share" ? shareColour(p.share)
            : (hideout.mode && hideout.mode.startsWith("rules:")) ? passColour(p["pass_" + hideout.mode.slice(6)])
            : (classColours[p.class] || noData);
        const selected = hideout.selected && hideout.selected === p.code;
        return {color: selected ? "#000000" : "#4a4a4a", weight: selected ? 3 : 0.5, fillColor: fill,
                fillOpacity: 0.65};
    }

    // Hover: the commune's name and class, in the page's language (the words come in the layer's hideout).
    function communeTooltip(feature, layer, context) {
        const labels = (context && context.hideout && context.hideout.labels) || {};
        const p = feature.properties;
        const box = document.createElement("div");
        const name = document.createElement("b");
        name.textContent = p.name;
        box.append(name, document.createElement("br"), labels[p.class || "none"] || "");
        layer.bindTooltip(box, {sticky: true, direction: "top", className: "commune-tooltip"});
    }

    // A commune's verdict under one NTM rule set (app/components/rules_view.py PASS_COLOURS).
    function passColour(passes) {
        return passes === true ? classColours.served : (passes === false ? classColours.unserved : noData);
    }

    function statusSvg(status, size) {
        return '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16" width="' + size + '" height="' + size +
               '">' + (statusShapes[status] || statusShapes.operational) + '</svg>';
    }

    function facilityPoint(feature, latlng) {
        const p = feature.properties;
        const size = p.type === "commune_radio_station" ? 20 : 13;
        const icon = L.divIcon({html: statusSvg(p.status, size), className: "fac-icon fac-" + p.status,
                                iconSize: L.point(size, size)});
        const marker = L.marker(latlng, {icon: icon, keyboard: false, title: p.name || ""});
        marker.on("click", function () { marker.feature = feature; });
        return marker;
    }

    function facilityCluster(feature, latlng, index, context) {
        const count = feature.properties.point_count;
        const size = count < 10 ? 26 : (count < 100 ? 32 : 40);
        const icon = L.divIcon({
            html: '<div class="phusong-cluster" style="width:' + size + 'px;height:' + size + 'px;line-height:' +
                  size + 'px">' + count + '</div>',
            className: "phusong-cluster-icon", iconSize: L.point(size, size)});
        return L.marker(latlng, {icon: icon});
    }

    function villagePoint(feature, latlng) {
        const reached = feature.properties.reached;
        const colour = reached === true ? classColours.served : (reached === false ? classColours.unserved : noData);
        return L.circleMarker(latlng, {radius: 4, color: colour, weight: 2, fillColor: "#ffffff", fillOpacity: 1});
    }

    function discStyle() {
        return {color: "#08519c", weight: 1, fillColor: "#6baed6", fillOpacity: 0.35};
    }

    // Commune names at province zoom (9+): one label at the middle of each commune's bounding box.
    const LABEL_ZOOM = 9, LABEL_LIMIT = 400;
    function communeLabels(data, zoom) {
        const empty = {type: "FeatureCollection", features: []};
        if (!data || !data.features || zoom === null || zoom === undefined || zoom < LABEL_ZOOM ||
            data.features.length > LABEL_LIMIT) { return empty; }
        const features = data.features.map(function (f) {
            let xmin = Infinity, ymin = Infinity, xmax = -Infinity, ymax = -Infinity;
            (function walk(c) {
                if (typeof c[0] === "number") {
                    xmin = Math.min(xmin, c[0]); xmax = Math.max(xmax, c[0]);
                    ymin = Math.min(ymin, c[1]); ymax = Math.max(ymax, c[1]);
                } else { c.forEach(walk); }
            })(f.geometry.coordinates);
            return {type: "Feature", properties: {name: f.properties.name},
                    geometry: {type: "Point", coordinates: [(xmin + xmax) / 2, (ymin + ymax) / 2]}};
        });
        return {type: "FeatureCollection", features: features};
    }

    function communeLabel(feature, latlng) {
        const icon = L.divIcon({html: "", className: "commune-label", iconSize: null});
        const marker = L.marker(latlng, {icon: icon, interactive: false, keyboard: false});
        marker.on("add", function () { if (marker._icon) { marker._icon.textContent = feature.properties.name; } });
        return marker;
    }

    // A proposed action; in a comparison (properties.only true/false) those only one scenario has are drawn
    // large with a thick black ring, the shared ones small and faded.
    function actionPoint(feature, latlng) {
        const only = feature.properties.only;
        const style = only === true ? {radius: 10, color: "#000", weight: 3, fillOpacity: 1}
            : (only === false ? {radius: 5, color: "#666", weight: 1, fillOpacity: 0.45}
                              : {radius: 7, color: "#222", weight: 1, fillOpacity: 0.95});
        const marker = L.circleMarker(latlng, Object.assign({fillColor: feature.properties.colour}, style));
        return marker.bindTooltip(feature.properties.tooltip);
    }

    // The communes of the view from the URLs the communes callback gave (app/map_data.py): the view's outlines,
    // which only a change of boundaries changes (kept here by URL, never asked again), and the classes of the
    // user's scope, which every recompute changes (asked again with the ETag of the last answer: 304), joined
    // per commune as the server used to join them (the same properties: code, name, class, share, pass_<set>).
    // The same URLs twice in a row are not fetched again; an answer that is not JSON (the session ended: the
    // login page) leaves the map as it is.
    const OUTLINES_KEPT = 12;
    const outlinesKept = new Map();
    let lastUrls = null;
    function getJson(url) {
        return fetch(url, {credentials: "same-origin", headers: {Accept: "application/json"}})
            .then(function (r) { return r.ok ? r.json() : null; });
    }
    function outlinesOf(url) {
        if (outlinesKept.has(url)) { return Promise.resolve(outlinesKept.get(url)); }
        return getJson(url).then(function (data) {
            if (data && data.features) {
                outlinesKept.set(url, data);
                if (outlinesKept.size > OUTLINES_KEPT) { outlinesKept.delete(outlinesKept.keys().next().value); }
            }
            return data;
        });
    }
    function joined(outlines, classes) {
        const blank = {};
        classes.fields.forEach(function (f) { blank[f] = null; });
        return {type: "FeatureCollection", features: outlines.features.map(function (f) {
            const props = Object.assign({}, f.properties, classes.by_code[f.properties.code] || blank);
            return {type: "Feature", geometry: f.geometry, properties: props};
        })};
    }
    function fetchCommunes(urls) {
        const same = window.dash_clientside.no_update;
        const key = urls ? urls.outlines + " " + urls.classes : null;
        if (!key || key === lastUrls) { return same; }
        lastUrls = key;
        return Promise.all([outlinesOf(urls.outlines), getJson(urls.classes)])
            .then(function (both) {
                const outlines = both[0], classes = both[1];
                if (!outlines || !outlines.features || !classes || !classes.by_code) { return same; }
                return outlines.features.length ? joined(outlines, classes) : outlines;
            })
            .catch(function () { lastUrls = null; return same; });
    }

    return {actionPoint, statusSvg, communeLabel, communeLabels, fetchCommunes, communeStyle, communeTooltip, facilityPoint, facilityCluster, villagePoint, discStyle, shareColour};
})();
