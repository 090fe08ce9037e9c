package import PostgresNIO

/// The bound values of a generated `/rows` statement: every value from a request travels as a
/// parameter, never as SQL text.
package struct RowsParameters: Sendable {
    package private(set) var bindings = PostgresBindings()
    /// How many values are bound.
    package private(set) var count = 0

    package init() {}

    /// Binds `value` and returns its placeholder (`$3`).
    package mutating func add(_ value: String) -> String {
        bindings.append(value)
        count += 1
        return "$\(count)"
    }

    /// Binds `value` and returns its placeholder.
    package mutating func add(_ value: Int64) -> String {
        bindings.append(value)
        count += 1
        return "$\(count)"
    }
}
