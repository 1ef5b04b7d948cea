// Map styling functions for dash-leaflet (referenced as {"variable": "phusong.map.<name>"}): served locally.
window.phusong = window.phusong || {};
window.phusong.map = (function () {
    const classColours = {unserved: "#d7301f", underserved: "#fdae61", served: "#1a9850"};
    const noData = "#bdbdbd";
    // Share of people reached: 5 steps, ColorBrewer YlGnBu.
    const shareSteps = [0.2, 0.4, 0.6, 0.8];
    const shareColours = ["#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494"];
    const statusColours = {operational: "#1a9850", degraded: "#fdae61", broken: "#d7301f",
                           decommissioned: "#636363", planned: "#3182bd"};

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
        return passes === true ? "#1a9850" : (passes === false ? "#d7301f" : noData);
    }

    function facilityPoint(feature, latlng) {
        const colour = statusColours[feature.properties.status] || noData;
        const station = feature.properties.type === "commune_radio_station";
        return L.circleMarker(latlng, {radius: station ? 8 : 5, color: "#222", weight: station ? 2 : 1,
                                       fillColor: colour, fillOpacity: 0.95});
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
        const colour = reached === true ? "#1a9850" : (reached === false ? "#d7301f" : noData);
        return L.circleMarker(latlng, {radius: 4, color: colour, weight: 2, fillColor: "#ffffff", fillOpacity: 1});
    }

    function discStyle() {
        return {color: "#08519c", weight: 1, fillColor: "#6baed6", fillOpacity: 0.35};
    }

    function actionPoint(feature, latlng) {
        const marker = L.circleMarker(latlng, {radius: 7, color: "#222", weight: 1,
                                               fillColor: feature.properties.colour, fillOpacity: 0.95});
        return marker.bindTooltip(feature.properties.tooltip);
    }

    return {actionPoint, communeStyle, communeTooltip, facilityPoint, facilityCluster, villagePoint, discStyle, shareColour};
})();
