// The inspection photo, checked and shrunk in the browser before it travels (issue 21): a phone camera's 4-12 MB
// picture becomes a JPEG of at most 1600 px on its long side (≈ 200-500 kB on weak 3G), and a file that is no
// image is refused when it is picked, not at the save. Used by app/pages/inspection.py as a clientside callback.
window.dash_clientside = window.dash_clientside || {};
window.dash_clientside.phusong = Object.assign(window.dash_clientside.phusong || {}, {
    shrinkPhoto: function (contents, filename) {
        const hidden = {display: "none"};
        const shown = {display: "flex"};
        const nothing = [null, null, "", hidden, hidden];
        // The file has been read (or dropped): empty the picker so that the same photo can be picked again.
        const picker = document.querySelector("#insp-photo input[type=file]");
        if (picker) { picker.value = ""; }
        if (!contents) { return nothing; }
        const refused = [null, null, "", hidden, {display: "block"}];
        if (!/^data:image\//.test(contents)) { return refused; }
        const LONG_SIDE_PX = 1600;
        const QUALITY = 0.85;
        return new Promise(function (resolve) {
            const image = new Image();
            image.onload = function () {
                const scale = Math.min(1, LONG_SIDE_PX / Math.max(image.naturalWidth, image.naturalHeight));
                const canvas = document.createElement("canvas");
                canvas.width = Math.max(1, Math.round(image.naturalWidth * scale));
                canvas.height = Math.max(1, Math.round(image.naturalHeight * scale));
                const context = canvas.getContext("2d");
                context.fillStyle = "#ffffff";  // a transparent PNG gets a white ground, as JPEG has no alpha
                context.fillRect(0, 0, canvas.width, canvas.height);
                context.drawImage(image, 0, 0, canvas.width, canvas.height);
                const jpeg = canvas.toDataURL("image/jpeg", QUALITY);
                const name = (filename || "anh").replace(/\.[^.]*$/, "") + ".jpg";
                resolve([{contents: jpeg, filename: name, width: canvas.width, height: canvas.height},
                         jpeg, filename || name, shown, hidden]);
            };
            image.onerror = function () { resolve(refused); };  // labelled an image but not one
            image.src = contents;
        });
    },
});
