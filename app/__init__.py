"""The phusong application: Dash pages, auth, the folium export and the `phusong` command line."""
