//! `curves` / `ecdhe`: OpenSSL group names mapped to the provider's key
//! exchange groups.

use super::backend::kx_group;
use super::GroupChoice;
use rustls::crypto::SupportedKxGroup;

/// Every group name OpenSSL 3.0 takes in a groups list (each checked with `curves` on
/// HAProxy 2.6 here), with the group it stands for: OpenSSL refuses a group listed twice,
/// whatever the spelling. Matching is exact, as OpenSSL's (`p-256` is refused) except for
/// the two spellings of X25519 and X448.
pub(super) static GROUP_NAMES: &[(&str, &str)] = &[
    ("X25519", "x25519"),
    ("x25519", "x25519"),
    ("X448", "x448"),
    ("x448", "x448"),
    ("P-256", "secp256r1"),
    ("prime256v1", "secp256r1"),
    ("secp256r1", "secp256r1"),
    ("P-384", "secp384r1"),
    ("secp384r1", "secp384r1"),
    ("P-521", "secp521r1"),
    ("secp521r1", "secp521r1"),
    ("P-224", "secp224r1"),
    ("secp224r1", "secp224r1"),
    ("P-192", "secp192r1"),
    ("prime192v1", "secp192r1"),
    ("secp192r1", "secp192r1"),
    ("secp160k1", "secp160k1"),
    ("secp160r1", "secp160r1"),
    ("secp160r2", "secp160r2"),
    ("secp192k1", "secp192k1"),
    ("secp224k1", "secp224k1"),
    ("secp256k1", "secp256k1"),
    ("K-163", "sect163k1"),
    ("sect163k1", "sect163k1"),
    ("sect163r1", "sect163r1"),
    ("B-163", "sect163r2"),
    ("sect163r2", "sect163r2"),
    ("sect193r1", "sect193r1"),
    ("sect193r2", "sect193r2"),
    ("K-233", "sect233k1"),
    ("sect233k1", "sect233k1"),
    ("B-233", "sect233r1"),
    ("sect233r1", "sect233r1"),
    ("sect239k1", "sect239k1"),
    ("K-283", "sect283k1"),
    ("sect283k1", "sect283k1"),
    ("B-283", "sect283r1"),
    ("sect283r1", "sect283r1"),
    ("K-409", "sect409k1"),
    ("sect409k1", "sect409k1"),
    ("B-409", "sect409r1"),
    ("sect409r1", "sect409r1"),
    ("K-571", "sect571k1"),
    ("sect571k1", "sect571k1"),
    ("B-571", "sect571r1"),
    ("sect571r1", "sect571r1"),
    ("brainpoolP256r1", "brainpoolP256r1"),
    ("brainpoolP384r1", "brainpoolP384r1"),
    ("brainpoolP512r1", "brainpoolP512r1"),
    ("ffdhe2048", "ffdhe2048"),
    ("ffdhe3072", "ffdhe3072"),
    ("ffdhe4096", "ffdhe4096"),
    ("ffdhe6144", "ffdhe6144"),
    ("ffdhe8192", "ffdhe8192"),
];

/// The provider's implementation of a group, if it has one.
pub(super) fn backend_group(group: &str) -> Option<&'static dyn SupportedKxGroup> {
    match group {
        "x25519" => Some(kx_group::X25519),
        "secp256r1" => Some(kx_group::SECP256R1),
        "secp384r1" => Some(kx_group::SECP384R1),
        _ => None,
    }
}

/// `curves` / `ssl-default-bind-curves` / `ssl-default-server-curves` / `ecdhe`: OpenSSL
/// group names separated by `:`, in preference order.
///
/// Names OpenSSL knows that the provider lacks (P-521, X448, ffdhe*, ...) are collected in
/// `unsupported`; an unknown name, an empty element or a group listed twice is an error (as
/// in OpenSSL), and so is a list leaving nothing the provider implements.
pub fn kx_groups(spec: &str) -> Result<GroupChoice, String> {
    if spec.is_empty() {
        return Err("no curve given".to_string());
    }
    let mut groups = Vec::new();
    let mut unsupported = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    for name in spec.split(':') {
        if name.is_empty() {
            return Err(format!("empty curve name in '{spec}'"));
        }
        let Some((_, group)) = GROUP_NAMES.iter().find(|(n, _)| *n == name) else {
            return Err(format!("unknown curve '{name}'"));
        };
        if seen.contains(group) {
            return Err(format!("curve '{name}' is listed twice"));
        }
        seen.push(group);
        match backend_group(group) {
            Some(kx) => groups.push(kx),
            None => unsupported.push(name.to_string()),
        }
    }
    if groups.is_empty() {
        return Err(format!(
            "no curve left that rustls implements (not implemented: {}); rustls has X25519, \
             P-256 and P-384",
            unsupported.join(", ")
        ));
    }
    Ok(GroupChoice {
        groups,
        unsupported,
    })
}
