"""The phusong application: Dash pages and components, auth, i18n, what a user sees when something fails
(``errors``), downloads, and the `phusong` command line (``cli`` + one module per group in ``commands/``)."""
