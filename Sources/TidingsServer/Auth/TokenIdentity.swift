import Crypto
import Foundation

/// What makes one verified token that token, whatever spelling it arrived in.
///
/// A JWT's signature part is base64url, and decoders (jwt-kit's among them) accept several
/// spellings of the same bytes: unused trailing bits, padding. Counting streams by the token's
/// text would let one token pass as many. The identity is the SHA-256 of the signed part (whose
/// exact text the signature covers) and the signature's decoded bytes, so every accepted
/// spelling of one token has one identity, and nothing kept can be turned back into the token.
struct TokenIdentity: Hashable, Sendable {
    private let digest: SHA256Digest

    /// The identity as hex, to scope what a token without `sub` keeps (its idempotency keys).
    var hex: String { digest.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined() }

    /// The identity of `token`, a JWT whose signature has already been verified.
    init(verifiedToken token: String) {
        let signed: Substring
        let signature: Substring
        if let dot = token.lastIndex(of: ".") {
            signed = token[..<dot]
            signature = token[token.index(after: dot)...]
        } else {
            signed = Substring(token)
            signature = ""
        }
        var hasher = SHA256()
        hasher.update(data: Data(signed.utf8))
        hasher.update(data: [0])
        hasher.update(data: Self.decodeBase64URL(signature))
        digest = hasher.finalize()
    }

    /// Decodes base64url leniently and canonically: `=` ends the input, characters outside the
    /// alphabet are skipped, and bits short of a whole byte are dropped.
    static func decodeBase64URL(_ text: Substring) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count * 3 / 4)
        var buffer: UInt32 = 0
        var bits = 0
        for byte in text.utf8 {
            let value: UInt8
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): value = byte - UInt8(ascii: "A")
            case UInt8(ascii: "a")...UInt8(ascii: "z"): value = byte - UInt8(ascii: "a") + 26
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = byte - UInt8(ascii: "0") + 52
            case UInt8(ascii: "-"), UInt8(ascii: "+"): value = 62
            case UInt8(ascii: "_"), UInt8(ascii: "/"): value = 63
            case UInt8(ascii: "="): return bytes
            default: continue
            }
            buffer = (buffer << 6) | UInt32(value)
            bits += 6
            if bits >= 8 {
                bits -= 8
                bytes.append(UInt8(truncatingIfNeeded: buffer >> UInt32(bits)))
                buffer &= (1 << UInt32(bits)) - 1
            }
        }
        return bytes
    }
}
