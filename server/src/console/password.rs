//! Console passwords: what a password must be, and argon2id hashing (the
//! RustCrypto `argon2` crate, OWASP's parameters: 19 MiB, 2 passes). Hashes
//! are PHC strings, so parameters can be raised later without breaking the
//! ones stored.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use gridwork_core::CoreError;

use crate::error::{ApiResult, ServerError};

pub const MIN_CHARS: usize = 10;
pub const MAX_CHARS: usize = 128;

/// Refuse a password a person should not be allowed to choose.
pub fn check(user_id: &str, password: &str) -> ApiResult<()> {
    let n = password.chars().count();
    let refuse = |why: &str| -> ApiResult<()> { Err(CoreError::invalid("password", why).into()) };
    if n < MIN_CHARS {
        return refuse(&format!(
            "密码至少{MIN_CHARS}个字符 / the password needs at least {MIN_CHARS} characters"
        ));
    }
    if n > MAX_CHARS {
        return refuse(&format!(
            "密码最多{MAX_CHARS}个字符 / the password may have at most {MAX_CHARS} characters"
        ));
    }
    if password.chars().any(char::is_control) {
        return refuse("密码不能含控制字符 / the password may not contain control characters");
    }
    if password.eq_ignore_ascii_case(user_id)
        || password
            .chars()
            .all(|c| c == password.chars().next().unwrap_or(' '))
    {
        return refuse("密码太容易猜到 / the password is too easy to guess");
    }
    Ok(())
}

/// An argon2id PHC string for `password`, with a fresh random salt.
pub fn hash(password: &str) -> ApiResult<String> {
    let salt_bytes: [u8; 16] = rand::random();
    let salt = SaltString::encode_b64(&salt_bytes)
        .map_err(|e| ServerError::Internal(format!("password salt: {e}")))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ServerError::Internal(format!("password hash: {e}")))
}

/// Whether `password` matches the stored PHC string. A malformed stored
/// hash never matches.
pub fn verify(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// Work as long as a real check when the account does not exist, so the
/// answer's timing does not tell which accounts exist.
pub fn verify_nothing(password: &str) {
    // A hash of a random password, made once.
    static DUMMY: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    if let Some(stored) = DUMMY.get_or_init(|| hash(&hex::encode(rand::random::<[u8; 16]>())).ok())
    {
        let _ = verify(password, stored);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_only_and_is_argon2id() {
        let h = hash("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify("correct horse battery", &h));
        assert!(!verify("correct horse batterY", &h));
        assert!(!verify("correct horse battery", "not a hash"));
        assert_ne!(h, hash("correct horse battery").unwrap(), "salted");
    }

    #[test]
    fn short_long_repeated_or_control_passwords_are_refused_with_the_field() {
        for bad in [
            "short",
            "aaaaaaaaaaaa",
            "S1-secretary",
            "tab\there-long-enough",
        ] {
            let e = check("s1-secretary", bad).unwrap_err();
            let text = e.to_string();
            assert!(text.contains("password"), "{bad}: {text}");
        }
        assert!(check("s1", &"x".repeat(200)).is_err());
        assert!(check("s1", "巡查走访每一户人家").is_err(), "9 characters");
        assert!(check("s1", "巡查走访每一户人家们").is_ok());
    }
}
