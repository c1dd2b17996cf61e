//! Reading a served certificate's expiry.

/// When the DER certificate `der` stops being valid (epoch ms), or `None`
/// when it cannot be read.
pub fn not_after_ms(der: &[u8]) -> Option<i64> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
    cert.validity().not_after.timestamp().checked_mul(1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_no_date() {
        assert_eq!(not_after_ms(b"not a certificate"), None);
        assert_eq!(not_after_ms(&[]), None);
    }
}
