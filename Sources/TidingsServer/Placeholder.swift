enum _PlaceholderTidingsServer {}
