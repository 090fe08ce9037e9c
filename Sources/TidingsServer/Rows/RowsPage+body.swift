import NIOCore
import TidingsPostgres

extension RowsPage {
    /// `{"rows":[…],"cursor":C,"next":"KEY"|null}`; each row is the database's JSON text as is.
    func body() -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(rows.reduce(64) { $0 + $1.readableBytes + 1 })
        buffer.writeStaticString(#"{"rows":["#)
        for (index, row) in rows.enumerated() {
            if index > 0 { buffer.writeStaticString(",") }
            buffer.writeImmutableBuffer(row)
        }
        buffer.writeStaticString(#"],"cursor":"#)
        buffer.writeString(String(cursor))
        buffer.writeStaticString(#","next":"#)
        if let next {
            JSONText.writeString(next, into: &buffer)
        } else {
            buffer.writeStaticString("null")
        }
        buffer.writeStaticString("}")
        return buffer
    }
}
