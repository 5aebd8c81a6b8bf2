//! What a server's PROXY protocol options ask for (`send-proxy`,
//! `send-proxy-v2[-ssl[-cn]]`, `proxy-v2-options`): a set of flags, with
//! HAProxy's meanings.

/// The flags of a server's PROXY protocol options.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ServerPp(pub u16);

impl ServerPp {
    /// `send-proxy`: a v1 line.
    pub const V1: u16 = 0x0001;
    /// `send-proxy-v2`: a v2 block (wins over v1).
    pub const V2: u16 = 0x0002;
    /// The SSL TLV (`ssl`).
    pub const SSL: u16 = 0x0004;
    /// Its client certificate's common name (`cert-cn`).
    pub const SSL_CN: u16 = 0x0008;
    /// Its certificate key algorithm (`cert-key`).
    pub const KEY_ALG: u16 = 0x0010;
    /// Its certificate signature algorithm (`cert-sig`).
    pub const SIG_ALG: u16 = 0x0020;
    /// Its cipher (`ssl-cipher`).
    pub const CIPHER: u16 = 0x0040;
    /// The authority TLV (`authority`).
    pub const AUTHORITY: u16 = 0x0080;
    /// The CRC32C TLV (`crc32c`).
    pub const CRC32C: u16 = 0x0100;
    /// The unique-id TLV (`unique-id`).
    pub const UNIQUE_ID: u16 = 0x0200;

    pub fn has(self, flag: u16) -> bool {
        self.0 & flag != 0
    }

    /// A header is sent at all.
    pub fn enabled(self) -> bool {
        self.has(Self::V1 | Self::V2)
    }

    /// The flags of one `proxy-v2-options` word.
    pub fn option(word: &str) -> Option<u16> {
        Some(match word {
            "ssl" => Self::SSL,
            "cert-cn" => Self::SSL | Self::SSL_CN,
            "cert-key" => Self::SSL | Self::KEY_ALG,
            "cert-sig" => Self::SSL | Self::SIG_ALG,
            "ssl-cipher" => Self::SSL | Self::CIPHER,
            "authority" => Self::AUTHORITY,
            "crc32c" => Self::CRC32C,
            "unique-id" => Self::UNIQUE_ID,
            _ => return None,
        })
    }
}
