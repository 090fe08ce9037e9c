/// Why `tidings dev` cannot serve its demo page: the command exits 1 with the message.
struct DemoAssetsError: Error, CustomStringConvertible {
    /// The kind of failure.
    enum Code: String, Sendable {
        /// The demo page or the client is not where the build put it.
        case missing
    }

    let code: Code
    /// What is missing and every place that was looked in.
    let message: String

    init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    var description: String { message }
}
