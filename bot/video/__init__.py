"""Black-and-white video posts: what Reddit serves (v.redd.it playlists, GIF posts' MP4s) and how the bot fetches it."""
