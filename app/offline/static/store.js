// The offline page's storage in IndexedDB (issue 20): the area pack and small settings ("meta"), the
// inspections saved on the phone and not yet sent ("pending", photos kept as JPEG blobs) and those sent
// ("sent", with what the server answered). Plain promises around the IndexedDB API.
window.PhusongStore = (function () {
    const NAME = "phusong-thuc-dia";
    let opened = null;

    function open() {
        if (opened) { return opened; }
        opened = new Promise(function (resolve, reject) {
            const request = indexedDB.open(NAME, 1);
            request.onupgradeneeded = function () {
                const db = request.result;
                db.createObjectStore("meta");
                db.createObjectStore("pending", {keyPath: "uuid"});
                db.createObjectStore("sent", {keyPath: "uuid"});
            };
            request.onsuccess = function () { resolve(request.result); };
            request.onerror = function () { reject(request.error); };
        });
        return opened;
    }

    function run(store, mode, work) {
        return open().then(function (db) {
            return new Promise(function (resolve, reject) {
                const tx = db.transaction(store, mode);
                const result = work(tx.objectStore(store));
                tx.oncomplete = function () { resolve(result && "result" in result ? result.result : undefined); };
                tx.onerror = function () { reject(tx.error); };
                tx.onabort = function () { reject(tx.error); };
            });
        });
    }

    return {
        getMeta: function (key) { return run("meta", "readonly", function (s) { return s.get(key); }); },
        setMeta: function (key, value) { return run("meta", "readwrite", function (s) { s.put(value, key); }); },
        addPending: function (item) { return run("pending", "readwrite", function (s) { s.put(item); }); },
        listPending: function () { return run("pending", "readonly", function (s) { return s.getAll(); }); },
        deletePending: function (uuid) { return run("pending", "readwrite", function (s) { s.delete(uuid); }); },
        putSent: function (item) { return run("sent", "readwrite", function (s) { s.put(item); }); },
        listSent: function () { return run("sent", "readonly", function (s) { return s.getAll(); }); },
    };
})();
