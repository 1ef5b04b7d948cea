// The inspection photo, checked and shrunk in the browser before it travels (issue 21): a phone camera's 4-12 MB
// picture becomes a JPEG of at most 1600 px on its long side (≈ 200-500 kB on weak 3G), and a file that is no
// image, or one too large to be a phone photo (> 25 MB), is refused when it is picked, not at the save. The shrunk
// JPEG is checked against the server's 5 MB too before anything is sent. Used by app/pages/inspection.py as a
// clientside callback; the input accepts image/* so that a phone offers its camera directly.
window.dash_clientside = window.dash_clientside || {};
window.dash_clientside.phusong = Object.assign(window.dash_clientside.phusong || {}, {
    shrinkPhoto: function (contents, filename, messages) {
        const hidden = {display: "none"};
        const shown = {display: "flex"};
        const texts = messages || {};
        const nothing = [null, null, "", hidden, hidden, texts.not_image || ""];
        const PICKED_MAX_BYTES = 25 * 1024 * 1024;
        const SENT_MAX_BYTES = 5 * 1024 * 1024;
        // The file has been read (or dropped): empty the picker so that the same photo can be picked again.
        const picker = document.querySelector("#insp-photo input[type=file]");
        if (picker) { picker.value = ""; }
        if (!contents) { return nothing; }
        const refused = [null, null, "", hidden, {display: "block"}, texts.not_image || ""];
        const tooBig = [null, null, "", hidden, {display: "block"}, texts.too_big || ""];
        if (!/^data:image\//.test(contents)) { return refused; }
        const bytes = function (dataUrl) {  // the decoded size of a base64 data URL
            const data = dataUrl.slice(dataUrl.indexOf(",") + 1);
            return Math.floor(data.length * 3 / 4);
        };
        if (bytes(contents) > PICKED_MAX_BYTES) { return tooBig; }
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
                if (bytes(jpeg) > SENT_MAX_BYTES) { resolve(tooBig); return; }
                const name = (filename || "anh").replace(/\.[^.]*$/, "") + ".jpg";
                resolve([{contents: jpeg, filename: name, width: canvas.width, height: canvas.height},
                         jpeg, filename || name, shown, hidden, texts.not_image || ""]);
            };
            image.onerror = function () { resolve(refused); };  // labelled an image but not one
            image.src = contents;
        });
    },
});
