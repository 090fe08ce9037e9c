/// SPEC §2 `metrics`: where `/metrics` is served.
package struct MetricsSettings: Sendable, Equatable {
    /// A separate plain-HTTP listener for `/metrics` (bind it to localhost or a private
    /// network); `nil` keeps `/metrics` on the main listener.
    package var listen: ListenAddress?

    package init(listen: ListenAddress? = nil) {
        self.listen = listen
    }
}
