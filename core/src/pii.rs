//! Personal information under PIPL: ID numbers and phone numbers are masked
//! on every screen and in every log. Revealing one is an explicit act with a
//! stated reason, recorded by the store.

use std::fmt;

use crate::error::{CoreError, Result};

/// Mask a resident ID number: first 6 (region) and last 4 kept,
/// e.g. `440308********1234`. Shorter or odd values are masked whole except
/// the last 2, so nothing identifying leaks from malformed input.
pub fn mask_id_number(id: &str) -> String {
    let chars: Vec<char> = id.trim().chars().collect();
    if chars.len() >= 15 {
        let head: String = chars[..6].iter().collect();
        let tail: String = chars[chars.len() - 4..].iter().collect();
        format!("{head}{}{tail}", "*".repeat(chars.len() - 10))
    } else {
        mask_all_but_tail(&chars, 2)
    }
}

/// Mask a phone number: mainland mobiles keep 3 + 4 (`138****5678`);
/// anything else keeps only its last 4.
pub fn mask_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.trim().chars().collect();
    if chars.len() == 11 {
        let head: String = chars[..3].iter().collect();
        let tail: String = chars[7..].iter().collect();
        format!("{head}****{tail}")
    } else {
        mask_all_but_tail(&chars, 4.min(chars.len() / 2))
    }
}

fn mask_all_but_tail(chars: &[char], keep: usize) -> String {
    let keep = keep.min(chars.len());
    let tail: String = chars[chars.len() - keep..].iter().collect();
    format!("{}{tail}", "*".repeat(chars.len() - keep))
}

/// A value that prints masked. Wrap ID and phone numbers in this before they
/// reach `tracing`, so logs never hold them whole.
#[derive(Clone, PartialEq, Eq)]
pub enum Masked<'a> {
    IdNumber(&'a str),
    Phone(&'a str),
}

impl fmt::Display for Masked<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Masked::IdNumber(v) => f.write_str(&mask_id_number(v)),
            Masked::Phone(v) => f.write_str(&mask_phone(v)),
        }
    }
}

impl fmt::Debug for Masked<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// The stated reason for a reveal, trimmed: at least two characters.
pub fn reveal_reason(reason: &str) -> Result<&str> {
    let reason = reason.trim();
    if reason.chars().count() < 2 {
        return Err(CoreError::invalid(
            "reason",
            "查看完整信息须说明理由 / a reason is required to reveal personal data",
        ));
    }
    Ok(reason)
}

/// Which personal field a reveal is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PiiField {
    IdNumber,
    Phone,
}

impl PiiField {
    pub fn as_str(self) -> &'static str {
        match self {
            PiiField::IdNumber => "id_number",
            PiiField::Phone => "phone",
        }
    }
}

/// Validate a mainland resident ID number (GB 11643-1999): a region code
/// that is or was in use (GB/T 2260), a real date of birth, a sequence
/// number, then a check character computed with the ISO 7064 MOD 11-2
/// weights. Errors never repeat the number.
pub fn validate_id_number(id: &str) -> Result<()> {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];
    let chars: Vec<char> = id.trim().chars().collect();
    if chars.len() != 18 {
        return Err(CoreError::invalid(
            "id_number",
            format!(
                "身份证号应为18位 / must have 18 characters, got {}",
                chars.len()
            ),
        ));
    }
    let mut sum = 0;
    for (i, c) in chars[..17].iter().enumerate() {
        let d = c.to_digit(10).ok_or_else(|| {
            CoreError::invalid(
                "id_number",
                format!("第{}位不是数字 / character {} is not a digit", i + 1, i + 1),
            )
        })?;
        sum += d * WEIGHTS[i];
    }
    // Digits only from here on (checked above).
    let digits: String = chars[..17].iter().collect();
    let region: u32 = digits[..6].parse().unwrap_or(0);
    if !crate::gb2260::is_region_code(region) {
        return Err(CoreError::invalid(
            "id_number",
            "身份证号前6位不是有效的行政区划代码（GB/T 2260）/ the first six digits are not a region code (GB/T 2260)",
        ));
    }
    let birth = chrono::NaiveDate::parse_from_str(&digits[6..14], "%Y%m%d")
        .ok()
        .filter(|d| (1900..2100).contains(&chrono::Datelike::year(d)));
    if birth.is_none() {
        return Err(CoreError::invalid(
            "id_number",
            "身份证号第7–14位不是有效的出生日期 / digits 7–14 are not a valid date of birth",
        ));
    }
    let expected = CHECK[(sum % 11) as usize];
    let got = chars[17].to_ascii_uppercase();
    if got != expected {
        return Err(CoreError::invalid(
            "id_number",
            "身份证号校验位错误 / check digit does not match",
        ));
    }
    Ok(())
}

/// Compute the check character for 17 digits (used by generators and tests).
pub fn id_check_char(first17: &str) -> Option<char> {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];
    let digits: Vec<u32> = first17
        .chars()
        .map(|c| c.to_digit(10))
        .collect::<Option<_>>()?;
    if digits.len() != 17 {
        return None;
    }
    let sum: u32 = digits.iter().zip(WEIGHTS).map(|(d, w)| d * w).sum();
    Some(CHECK[(sum % 11) as usize])
}

/// Validate a phone number loosely: mainland mobile (11 digits starting 1) or
/// a landline of digits and dashes.
pub fn validate_phone(phone: &str) -> Result<()> {
    let p = phone.trim();
    let digits = p.chars().filter(|c| c.is_ascii_digit()).count();
    let only_allowed = p
        .chars()
        .all(|c| c.is_ascii_digit() || c == '-' || c == '+');
    if !only_allowed || !(7..=15).contains(&digits) {
        return Err(CoreError::invalid(
            "phone",
            "电话号码格式不正确 / phone number must be 7–15 digits",
        ));
    }
    if digits == 11 && p.starts_with('1') || p.contains('-') || p.starts_with('+') || digits < 11 {
        Ok(())
    } else {
        Err(CoreError::invalid(
            "phone",
            "手机号应为1开头的11位数字 / mobile numbers have 11 digits starting with 1",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_numbers_are_masked_as_the_brief_shows() {
        assert_eq!(mask_id_number("440308199001011234"), "440308********1234");
        assert_eq!(mask_id_number("12"), "12");
        assert_eq!(mask_id_number("123456"), "****56");
    }

    #[test]
    fn id_numbers_need_a_real_region_and_birth_date() {
        let with_check = |first17: &str| format!("{first17}{}", id_check_char(first17).unwrap());
        assert!(validate_id_number(&with_check("44030719900101123")).is_ok());
        // Check digit right, but region 999999 never existed.
        let err = validate_id_number(&with_check("99999919900101123")).unwrap_err();
        assert!(err.to_string().contains("region code"), "{err}");
        // A code abolished long ago still passes (IDs outlive their codes).
        assert!(validate_id_number(&with_check("11010319600101123")).is_ok());
        // February 30th, and a birth year of 1800.
        let err = validate_id_number(&with_check("44030719900230123")).unwrap_err();
        assert!(err.to_string().contains("date of birth"), "{err}");
        let err = validate_id_number(&with_check("44030718000101123")).unwrap_err();
        assert!(err.to_string().contains("date of birth"), "{err}");
        assert!(
            !err.to_string().contains("4403071800"),
            "the number is never repeated"
        );
    }

    #[test]
    fn phones_keep_three_and_four() {
        assert_eq!(mask_phone("13812345678"), "138****5678");
        assert_eq!(mask_phone("0755-1234567"), "********4567");
    }

    #[test]
    fn masked_values_never_print_whole() {
        let line = format!(
            "{:?} {}",
            Masked::IdNumber("440308199001011234"),
            Masked::Phone("13812345678")
        );
        assert!(!line.contains("19900101"));
        assert!(!line.contains("1234567"));
    }

    #[test]
    fn id_check_digit_is_verified() {
        let first17 = "11010519491231002";
        let c = id_check_char(first17).unwrap();
        assert_eq!(c, 'X');
        assert!(validate_id_number(&format!("{first17}{c}")).is_ok());
        let err = validate_id_number(&format!("{first17}1")).unwrap_err();
        assert!(err.to_string().contains("check digit"));
        assert!(validate_id_number("1234").is_err());
    }

    #[test]
    fn phones_are_checked() {
        assert!(validate_phone("13812345678").is_ok());
        assert!(validate_phone("0755-1234567").is_ok());
        assert!(validate_phone("23812345678").is_err());
        assert!(validate_phone("abc").is_err());
    }
}
