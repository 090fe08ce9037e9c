enum _PlaceholderTidingsPostgres {}
