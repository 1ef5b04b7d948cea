// When the session has ended, nothing typed into the page is lost (issue 21): a Dash request the server refuses
// with 401 is held, the login form is shown in place (the /login page's own form, so every field it carries,
// hidden ones included, is posted as the login page posts it), and once logged in the held requests are sent
// again and answer as if nothing had happened. Served locally from app/assets/ like the rest of the app.
(function () {
    const plainFetch = window.fetch.bind(window);
    const UPDATE_PATH = "/_dash-update-component";
    let held = [];        // {input, init, resolve, reject}: the refused requests, in order
    let dialog = null;

    function pathOf(input) {
        const url = typeof input === "string" ? input : (input && input.url) || "";
        return new URL(url, window.location.href).pathname;
    }

    // The texts come from the page (app/app.py renders them in the user's language from app/i18n.py).
    function word(name) {
        const source = document.getElementById("session-texts");
        return (source && source.dataset[name]) || "";
    }

    function loginFormFrom(html) {
        const page = new DOMParser().parseFromString(html, "text/html");
        const form = page.querySelector("form");
        return form ? document.importNode(form, true) : null;
    }

    function showForm(html) {
        const form = loginFormFrom(html);
        const place = dialog.querySelector(".session-form-place");
        place.replaceChildren();
        if (!form) {
            place.textContent = word("failed");
            return;
        }
        form.addEventListener("submit", submit);
        place.appendChild(form);
        const name = form.querySelector("input[name=name]");
        if (name && !name.value) { name.value = word("user"); }
        const focus = name && name.value ? form.querySelector("input[type=password]") : name;
        if (focus) { focus.focus(); }
    }

    function loadForm() {
        plainFetch("/login", {credentials: "same-origin"})
            .then(function (response) { return response.text(); })
            .then(showForm)
            .catch(function () { dialog.querySelector(".session-form-place").textContent = word("failed"); });
    }

    function submit(event) {
        event.preventDefault();
        const form = event.target;
        const button = form.querySelector("[type=submit]");
        if (button) { button.disabled = true; }
        plainFetch(form.getAttribute("action") || "/login", {
            method: "POST", body: new FormData(form), credentials: "same-origin"})
            .then(function (response) {
                // Logged in: the server redirects away from /login. Refused: the login page again, with its reason.
                if (response.ok && new URL(response.url).pathname !== "/login") {
                    resume();
                    return null;
                }
                return response.text().then(showForm);
            })
            .catch(function () {
                if (button) { button.disabled = false; }
            });
    }

    function resume() {
        const waiting = held;
        held = [];
        dialog.remove();
        dialog = null;
        waiting.forEach(function (h) { window.fetch(h.input, h.init).then(h.resolve, h.reject); });
    }

    function openDialog() {
        if (dialog) { return; }
        dialog = document.createElement("div");
        dialog.id = "session-dialog";
        dialog.className = "session-dialog";
        dialog.setAttribute("role", "dialog");
        dialog.setAttribute("aria-modal", "true");
        const box = document.createElement("div");
        box.className = "session-box";
        const message = document.createElement("div");
        message.id = "session-expired";
        message.className = "alert alert-warning py-2 mb-2";
        message.textContent = word("expired");
        const place = document.createElement("div");
        place.className = "session-form-place";
        box.append(message, place);
        dialog.appendChild(box);
        document.body.appendChild(dialog);
        loadForm();
    }

    window.fetch = function (input, init) {
        return plainFetch(input, init).then(function (response) {
            if (response.status !== 401 || pathOf(input) !== UPDATE_PATH) { return response; }
            return new Promise(function (resolve, reject) {
                held.push({input: input, init: init, resolve: resolve, reject: reject});
                openDialog();
            });
        });
    };
})();
