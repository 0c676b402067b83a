"""What every feature shares: settings, the database and its models, errors, security and
authentication, phones, UI strings, the endpoint registry, paging, and the base pages."""
