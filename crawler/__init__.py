"""newsmon: crawl news publishers, store every version, flag every edit."""
