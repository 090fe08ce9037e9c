/// Where a request's token came from.
///
/// A browser attaches a cookie to any request to the gateway, whichever site made it, so a
/// request authenticated by the `tidings_token` cookie proves nothing about who sent it; a header
/// or a query parameter had to be set by the calling page itself.
enum TokenSource: Sendable {
    case header
    case query
    case cookie
}
