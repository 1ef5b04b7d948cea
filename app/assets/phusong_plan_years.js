// Plans over years (issue 23): the plan map's year slider shows the actions funded up to the chosen year.
// The filter is the actions layer's ({"variable": "phusong.plan.upToYear"}); the slider sets its hideout
// through a clientside callback (no server round trip, no data sent).
window.phusong = window.phusong || {};
window.phusong.plan = {
    upToYear: function (feature, context) {
        const year = context && context.hideout && context.hideout.year;
        const own = feature.properties && feature.properties.year;
        return !year || !own || own <= year;
    }
};
window.dash_clientside = Object.assign({}, window.dash_clientside, {
    phusong_plan: {
        // The slider's year as the actions layer's hideout.
        yearHideout: function (year) {
            return {year: year === undefined ? null : year};
        },
        // The chosen budget file's name under the upload area.
        fileName: function (name) {
            return name ? "✓ " + name : "";
        }
    }
});
