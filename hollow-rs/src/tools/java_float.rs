//! `Float.toString` and `Double.toString` exactly as Java 17 prints them.
//!
//! Hollow's tools print floating-point values through Java's `String.valueOf`, so matching their
//! output means matching the JDK's digit generation, which is **not** the shortest round-trip
//! representation Rust (or JDK 19+) produces. The JDK 17 algorithm (Steele & White's free-format
//! digit generation over an estimated decimal exponent) differs from "shortest" in three ways that
//! show up in real data:
//!
//! * a value that is an integer below 2^63 prints all its exact digits, less only a conservative
//!   number of "insignificant" trailing ones: `Float.toString(1.21682608E8f)` is `1.21682608E8`,
//!   although `1.2168261E8` reads back to the same float;
//! * E-notation always gets at least two significant digits before digit generation may stop;
//! * the stopping tests are not always exact, so a few values get one digit more than needed.
//!
//! The layout is Java's: plain decimal for `10^-3 <= |v| < 10^7` (`100.0`, `0.001`), otherwise
//! `d.dddE<exp>` (`1.0E10`, `1.0E-5`), always with at least one digit after the point, `NaN`,
//! `Infinity`, `-Infinity`, `0.0`, `-0.0`.
//!
//! This is an independent implementation of that algorithm, checked against the output of a JDK 17
//! on more than a million values (see the tests).

use std::cmp::Ordering;

/// Bits of the significand of a double, without the hidden bit.
const DOUBLE_FRACTION_BITS: u32 = 52;
/// Bits of the significand of a float, without the hidden bit.
const FLOAT_FRACTION_BITS: u32 = 23;
/// Largest binary exponent for which an integer value is printed from its exact `u64` digits.
const MAX_SMALL_BIN_EXP: i32 = 62;
/// Smallest binary exponent considered by the exact-integer shortcut.
const MIN_SMALL_BIN_EXP: i32 = -(63 / 3);
/// Powers of five that fit in an `i64` (`5^0 ..= 5^26`).
const LONG_POW5_COUNT: usize = 27;

/// Java's `Float.toString(f)`.
pub fn float_to_string(f: f32) -> String {
    let bits = f.to_bits();
    let negative = bits >> 31 != 0;
    let biased_exp = ((bits >> FLOAT_FRACTION_BITS) & 0xff) as i32;
    let fraction = bits & ((1 << FLOAT_FRACTION_BITS) - 1);
    if biased_exp == 0xff {
        return special(negative, fraction == 0);
    }
    let (bin_exp, significand, significant_bits) = if biased_exp == 0 {
        if fraction == 0 {
            return zero(negative);
        }
        // Subnormal: normalize so the leading one sits where the hidden bit would.
        let shift = fraction.leading_zeros() as i32 - (31 - FLOAT_FRACTION_BITS as i32);
        (1 - shift, fraction << shift, 32 - fraction.leading_zeros() as i32)
    } else {
        (biased_exp, fraction | (1 << FLOAT_FRACTION_BITS), FLOAT_FRACTION_BITS as i32 + 1)
    };
    // The float's significand is widened to a double's position; its own precision stays in
    // `significant_bits`, which sets the rounding interval.
    let widened = (significand as u64) << (DOUBLE_FRACTION_BITS - FLOAT_FRACTION_BITS);
    format(negative, dtoa(bin_exp - 127, widened, significant_bits))
}

/// Java's `Double.toString(d)`.
pub fn double_to_string(d: f64) -> String {
    let bits = d.to_bits();
    let negative = bits >> 63 != 0;
    let biased_exp = ((bits >> DOUBLE_FRACTION_BITS) & 0x7ff) as i32;
    let fraction = bits & ((1 << DOUBLE_FRACTION_BITS) - 1);
    if biased_exp == 0x7ff {
        return special(negative, fraction == 0);
    }
    let (bin_exp, significand, significant_bits) = if biased_exp == 0 {
        if fraction == 0 {
            return zero(negative);
        }
        let shift = fraction.leading_zeros() as i32 - (63 - DOUBLE_FRACTION_BITS as i32);
        (1 - shift, fraction << shift, 64 - fraction.leading_zeros() as i32)
    } else {
        (biased_exp, fraction | (1 << DOUBLE_FRACTION_BITS), DOUBLE_FRACTION_BITS as i32 + 1)
    };
    format(negative, dtoa(bin_exp - 1023, significand, significant_bits))
}

fn special(negative: bool, infinite: bool) -> String {
    match (infinite, negative) {
        (false, _) => "NaN",
        (true, false) => "Infinity",
        (true, true) => "-Infinity",
    }
    .to_owned()
}

fn zero(negative: bool) -> String {
    if negative { "-0.0" } else { "0.0" }.to_owned()
}

/// Decimal digits `0.d1d2d3... * 10^exponent`.
struct Decimal {
    /// ASCII digits; may end in zeros after a carry.
    digits: Vec<u8>,
    /// Position of the decimal point relative to the first digit.
    exponent: i32,
}

impl Decimal {
    /// Add one unit in the last digit, carrying; a carry out of the first digit turns the digits
    /// into `1000…` with the exponent one higher.
    fn round_up(&mut self) {
        let mut i = self.digits.len() - 1;
        while self.digits[i] == b'9' && i > 0 {
            self.digits[i] = b'0';
            i -= 1;
        }
        if self.digits[i] == b'9' {
            self.exponent += 1;
            self.digits[0] = b'1';
        } else {
            self.digits[i] += 1;
        }
    }
}

/// The digit generation. `significand` has its leading one at bit 52 and `value = significand *
/// 2^(bin_exp - 52)`; `significant_bits` is the precision of the source type at this value.
fn dtoa(bin_exp: i32, significand: u64, significant_bits: i32) -> Decimal {
    let tail_zeros = significand.trailing_zeros() as i32;
    let fraction_bits = DOUBLE_FRACTION_BITS as i32 + 1 - tail_zeros;
    let tiny_bits = (fraction_bits - bin_exp - 1).max(0);

    // Integers below 2^63 are printed from their exact value.
    if (MIN_SMALL_BIN_EXP..=MAX_SMALL_BIN_EXP).contains(&bin_exp) && tiny_bits == 0 {
        let insignificant =
            if bin_exp > significant_bits { insignificant_digits_for_pow2(bin_exp - significant_bits - 1) } else { 0 };
        let value = if bin_exp >= DOUBLE_FRACTION_BITS as i32 {
            significand << (bin_exp - DOUBLE_FRACTION_BITS as i32)
        } else {
            significand >> (DOUBLE_FRACTION_BITS as i32 - bin_exp)
        };
        return long_digits(value, insignificant);
    }

    let mut dec_exp = estimate_dec_exp(significand, bin_exp);
    // Scale so that B/S = value / 10^dec_exp and M/S = half an ulp / 10^dec_exp.
    let b5 = (-dec_exp).max(0);
    let mut b2 = b5 + tiny_bits + bin_exp;
    let s5 = dec_exp.max(0);
    let mut s2 = s5 + tiny_bits;
    let m5 = b5;
    let mut m2 = b2 - significant_bits;
    let fraction = significand >> tail_zeros;
    b2 -= fraction_bits - 1;
    let common = b2.min(s2);
    b2 -= common;
    s2 -= common;
    m2 -= common;
    // At a power of two the next value down is only half as far away.
    if fraction_bits == 1 {
        m2 -= 1;
    }
    if m2 < 0 {
        b2 -= m2;
        s2 -= m2;
        m2 = 0;
    }

    let b_bits = fraction_bits + b2 + pow5_bits(b5);
    let ten_s_bits = s2 + 1 + pow5_bits(s5 + 1);
    let generated = if b_bits < 64 && ten_s_bits < 64 {
        let b = (fraction as i64).wrapping_mul(pow5(b5)) << b2;
        let s = pow5(s5) << s2;
        let m = pow5(m5) << m2;
        if b_bits < 32 && ten_s_bits < 32 {
            generate_small::<i32>(b as i32, s as i32, m as i32, &mut dec_exp)
        } else {
            generate_small::<i64>(b, s, m, &mut dec_exp)
        }
    } else {
        generate_big(fraction, b5, b2, s5, s2, m5, m2, &mut dec_exp)
    };

    let mut decimal = Decimal { digits: generated.digits, exponent: dec_exp + 1 };
    // The last digit is rounded by how generation stopped.
    match (generated.high, generated.low) {
        (true, true) => match generated.low_digit_difference {
            Ordering::Equal => {
                if decimal.digits.last().is_some_and(|d| d & 1 != 0) {
                    decimal.round_up();
                }
            }
            Ordering::Greater => decimal.round_up(),
            Ordering::Less => {}
        },
        (true, false) => decimal.round_up(),
        _ => {}
    }
    decimal
}

/// How many trailing decimal digits of an integer `2^p2 * n` are noise (`floor(p2 * log10 2)`).
fn insignificant_digits_for_pow2(p2: i32) -> u32 {
    if p2 > 1 && p2 < 64 {
        (p2 as f64 * std::f64::consts::LOG10_2) as u32
    } else {
        0
    }
}

/// Digits of an integer, dropping `insignificant` low digits with rounding, then trailing zeros.
fn long_digits(mut value: u64, insignificant: u32) -> Decimal {
    let mut exponent = 0;
    if insignificant != 0 {
        let pow10 = 10u64.pow(insignificant);
        let residue = value % pow10;
        value /= pow10;
        exponent += insignificant as i32;
        if residue >= pow10 >> 1 {
            value += 1;
        }
    }
    let text = value.to_string();
    let kept = text.trim_end_matches('0');
    exponent += text.len() as i32;
    Decimal { digits: kept.as_bytes().to_vec(), exponent }
}

/// `floor(log10(value))`, estimated from the binary exponent and the leading fraction bits, as the
/// JDK does (it can be one too low; generation then drops the leading zero).
// The constants are the JDK's own truncated ones: a more precise log10(2) would change the estimate.
#[allow(clippy::approx_constant)]
fn estimate_dec_exp(significand: u64, bin_exp: i32) -> i32 {
    let one_point_fraction = f64::from_bits(0x3ff0_0000_0000_0000 | (significand & ((1 << DOUBLE_FRACTION_BITS) - 1)));
    let estimate = (one_point_fraction - 1.5) * 0.289529654 + 0.176091259 + bin_exp as f64 * 0.301029995663981;
    estimate.floor() as i32
}

fn pow5(n: i32) -> i64 {
    5i64.pow(n as u32)
}

/// Bit length of `5^n`, over-estimated as `3n` beyond the powers that fit a long.
fn pow5_bits(n: i32) -> i32 {
    if (n as usize) < LONG_POW5_COUNT {
        64 - (pow5(n) as u64).leading_zeros() as i32
    } else {
        n * 3
    }
}

struct Generated {
    digits: Vec<u8>,
    low: bool,
    high: bool,
    /// Sign of `2B - 10S` at the stop: whether the remainder is past half a digit.
    low_digit_difference: Ordering,
}

/// The machine-integer arithmetic of the generation loop, in the width the JDK picks for it.
trait SmallInt: Copy + PartialOrd {
    const ZERO: Self;
    fn mul10(self) -> Self;
    fn div(self, o: Self) -> Self;
    fn rem(self, o: Self) -> Self;
    fn add(self, o: Self) -> Self;
    fn shl1_sub(self, o: Self) -> Self;
    fn digit(self) -> u8;
}

macro_rules! small_int {
    ($t:ty) => {
        impl SmallInt for $t {
            const ZERO: Self = 0;
            fn mul10(self) -> Self {
                self.wrapping_mul(10)
            }
            fn div(self, o: Self) -> Self {
                self / o
            }
            fn rem(self, o: Self) -> Self {
                self % o
            }
            fn add(self, o: Self) -> Self {
                self.wrapping_add(o)
            }
            fn shl1_sub(self, o: Self) -> Self {
                (self << 1).wrapping_sub(o)
            }
            fn digit(self) -> u8 {
                b'0' + self as u8
            }
        }
    };
}
small_int!(i32);
small_int!(i64);

/// Digit generation with `B`, `S`, `M` in machine integers (the sizes were checked to fit; the
/// JDK still lets `M` overflow late in the loop, which ends generation).
fn generate_small<T: SmallInt>(mut b: T, s: T, mut m: T, dec_exp: &mut i32) -> Generated {
    let tens = s.mul10();
    let mut digits = Vec::with_capacity(20);
    let q = b.div(s);
    b = b.rem(s).mul10();
    m = m.mul10();
    let mut low = b < m;
    let mut high = b.add(m) > tens;
    if q.digit() == b'0' && !high {
        // The estimate was one too high: the leading zero is dropped.
        *dec_exp -= 1;
    } else {
        digits.push(q.digit());
    }
    // E-notation needs at least two digits.
    if *dec_exp < -3 || *dec_exp >= 8 {
        low = false;
        high = false;
    }
    while !low && !high {
        let q = b.div(s);
        b = b.rem(s).mul10();
        m = m.mul10();
        if m > T::ZERO {
            low = b < m;
            high = b.add(m) > tens;
        } else {
            low = true;
            high = true;
        }
        digits.push(q.digit());
    }
    let difference = b.shl1_sub(tens);
    Generated { digits, low, high, low_digit_difference: difference.partial_cmp(&T::ZERO).unwrap_or(Ordering::Equal) }
}

/// Digit generation in arbitrary precision, for magnitudes where `B` or `10S` exceed 63 bits.
#[allow(clippy::too_many_arguments)]
fn generate_big(fraction: u64, b5: i32, b2: i32, s5: i32, s2: i32, m5: i32, m2: i32, dec_exp: &mut i32) -> Generated {
    let s = BigNat::pow52(s5, s2);
    let mut b = BigNat::from_u64(fraction);
    b.mul_pow5(b5);
    b.shl(b2);
    let mut m = BigNat::pow52(m5 + 1, m2 + 1);
    let ten_s = BigNat::pow52(s5 + 1, s2 + 1);

    let mut digits = Vec::with_capacity(24);
    let q = b.quo_rem_times_10(&s);
    let mut low = b.cmp(&m) == Ordering::Less;
    let mut high = ten_s.cmp_sum(&b, &m) != Ordering::Greater;
    if q == 0 && !high {
        *dec_exp -= 1;
    } else {
        digits.push(b'0' + q);
    }
    if *dec_exp < -3 || *dec_exp >= 8 {
        low = false;
        high = false;
    }
    while !low && !high {
        let q = b.quo_rem_times_10(&s);
        m.mul_small(10);
        low = b.cmp(&m) == Ordering::Less;
        high = ten_s.cmp_sum(&b, &m) != Ordering::Greater;
        digits.push(b'0' + q);
    }
    let low_digit_difference = if high && low {
        b.shl(1);
        b.cmp(&ten_s)
    } else {
        Ordering::Equal
    };
    Generated { digits, low, high, low_digit_difference }
}

/// A minimal unsigned big integer (little-endian 32-bit limbs, no leading zero limbs), with just
/// the operations digit generation needs.
#[derive(Clone, Debug)]
struct BigNat(Vec<u32>);

impl BigNat {
    fn from_u64(v: u64) -> Self {
        let mut n = BigNat(vec![v as u32, (v >> 32) as u32]);
        n.trim();
        n
    }

    /// `5^p5 * 2^p2`.
    fn pow52(p5: i32, p2: i32) -> Self {
        let mut n = BigNat(vec![1]);
        n.mul_pow5(p5);
        n.shl(p2);
        n
    }

    fn trim(&mut self) {
        while self.0.last() == Some(&0) {
            self.0.pop();
        }
    }

    fn mul_small(&mut self, factor: u32) {
        let mut carry = 0u64;
        for limb in &mut self.0 {
            let product = *limb as u64 * factor as u64 + carry;
            *limb = product as u32;
            carry = product >> 32;
        }
        if carry != 0 {
            self.0.push(carry as u32);
        }
    }

    fn mul_pow5(&mut self, mut p5: i32) {
        // 5^13 is the largest power of five below 2^32.
        while p5 >= 13 {
            self.mul_small(1_220_703_125);
            p5 -= 13;
        }
        if p5 > 0 {
            self.mul_small(5u32.pow(p5 as u32));
        }
    }

    fn shl(&mut self, bits: i32) {
        if self.0.is_empty() || bits <= 0 {
            return;
        }
        let (limbs, bits) = ((bits / 32) as usize, bits % 32);
        if bits != 0 {
            let mut carry = 0u32;
            for limb in &mut self.0 {
                let next = *limb >> (32 - bits);
                *limb = (*limb << bits) | carry;
                carry = next;
            }
            if carry != 0 {
                self.0.push(carry);
            }
        }
        self.0.splice(0..0, std::iter::repeat_n(0, limbs));
    }

    fn cmp(&self, other: &Self) -> Ordering {
        self.0.len().cmp(&other.0.len()).then_with(|| self.0.iter().rev().cmp(other.0.iter().rev()))
    }

    /// `self` compared with `a + b`.
    fn cmp_sum(&self, a: &Self, b: &Self) -> Ordering {
        let mut sum = a.clone();
        sum.add(b);
        self.cmp(&sum)
    }

    fn add(&mut self, other: &Self) {
        if self.0.len() < other.0.len() {
            self.0.resize(other.0.len(), 0);
        }
        let mut carry = 0u64;
        for (i, limb) in self.0.iter_mut().enumerate() {
            let sum = *limb as u64 + other.0.get(i).copied().unwrap_or(0) as u64 + carry;
            *limb = sum as u32;
            carry = sum >> 32;
        }
        if carry != 0 {
            self.0.push(carry as u32);
        }
    }

    /// `self - other`, with `self >= other`.
    fn sub(&mut self, other: &Self) {
        let mut borrow = 0i64;
        for (i, limb) in self.0.iter_mut().enumerate() {
            let diff = *limb as i64 - other.0.get(i).copied().unwrap_or(0) as i64 - borrow;
            *limb = diff as u32;
            borrow = i64::from(diff < 0);
        }
        self.trim();
    }

    /// Returns `q = self / s` (a single decimal digit here) and sets `self = 10 * (self % s)`.
    fn quo_rem_times_10(&mut self, s: &Self) -> u8 {
        let mut q = 0;
        while self.cmp(s) != Ordering::Less {
            self.sub(s);
            q += 1;
        }
        self.mul_small(10);
        q
    }
}

/// Java's layout of the digits (`FloatingDecimal.toJavaFormatString`).
fn format(negative: bool, decimal: Decimal) -> String {
    let Decimal { digits, exponent } = decimal;
    let mut out = String::with_capacity(digits.len() + 8);
    if negative {
        out.push('-');
    }
    let text = |range: std::ops::Range<usize>| std::str::from_utf8(&digits[range]).expect("ASCII digits");
    let n = digits.len();
    if exponent > 0 && exponent < 8 {
        let integer_digits = n.min(exponent as usize);
        out.push_str(text(0..integer_digits));
        if integer_digits < exponent as usize {
            out.extend(std::iter::repeat_n('0', exponent as usize - integer_digits));
            out.push_str(".0");
        } else {
            out.push('.');
            if integer_digits < n {
                out.push_str(text(integer_digits..n));
            } else {
                out.push('0');
            }
        }
    } else if exponent <= 0 && exponent > -3 {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', (-exponent) as usize));
        out.push_str(text(0..n));
    } else {
        out.push_str(text(0..1));
        out.push('.');
        if n > 1 {
            out.push_str(text(1..n));
        } else {
            out.push('0');
        }
        out.push('E');
        out.push_str(&(exponent - 1).to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    // Every expected string below was printed by OpenJDK 17.0.15.

    #[test]
    fn doubles_match_jdk17() {
        let cases: &[(f64, &str)] = &[
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (1.0, "1.0"),
            (100.0, "100.0"),
            (1e7, "1.0E7"),
            (9999999.0, "9999999.0"),
            (1e-3, "0.001"),
            (9.999e-4, "9.999E-4"),
            (1.0e10, "1.0E10"),
            (1.0e-5, "1.0E-5"),
            (std::f64::consts::E, "2.718281828459045"),
            (f64::MAX, "1.7976931348623157E308"),
            (-f64::MAX, "-1.7976931348623157E308"),
            (f64::from_bits(1), "4.9E-324"),
            (f64::MIN_POSITIVE, "2.2250738585072014E-308"),
            (1e300, "1.0E300"),
            (0.1, "0.1"),
            (1.0 / 3.0, "0.3333333333333333"),
            (f64::NAN, "NaN"),
            (f64::INFINITY, "Infinity"),
            (f64::NEG_INFINITY, "-Infinity"),
        ];
        for &(value, expected) in cases {
            assert_eq!(double_to_string(value), expected, "bits {:016x}", value.to_bits());
        }
    }

    #[test]
    fn floats_match_jdk17() {
        let cases: &[(f32, &str)] = &[
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (f32::from_bits(0x4048_f5c3), "3.14"),
            (100.0, "100.0"),
            (1e10, "1.0E10"),
            (1e-5, "1.0E-5"),
            (1.0e-10, "1.0E-10"),
            (f32::MAX, "3.4028235E38"),
            (-f32::MAX, "-3.4028235E38"),
            (f32::from_bits(1), "1.4E-45"),
            (0.1, "0.1"),
            (f32::NAN, "NaN"),
            (f32::INFINITY, "Infinity"),
            (f32::NEG_INFINITY, "-Infinity"),
            // Not shortest: exact integer digits are kept.
            (f32::from_bits(0x4ce8_1756), "1.21682608E8"),
        ];
        for &(value, expected) in cases {
            assert_eq!(float_to_string(value), expected, "bits {:08x}", value.to_bits());
        }
    }

    /// Compares against a reference file of `D|F <hex bits> <Java toString>` lines, one per
    /// value, when `HOLLOW_JAVA_FLOAT_REFERENCE` names one (generate it with a few lines of Java).
    #[test]
    fn matches_reference_file_if_given() {
        let Ok(path) = std::env::var("HOLLOW_JAVA_FLOAT_REFERENCE") else { return };
        let text = std::fs::read_to_string(path).expect("reference file");
        let mut failures = Vec::new();
        let mut count = 0;
        for line in text.lines() {
            let mut parts = line.split(' ');
            let (Some(kind), Some(hex), Some(expected)) = (parts.next(), parts.next(), parts.next()) else {
                continue;
            };
            let actual = match kind {
                "D" => double_to_string(f64::from_bits(u64::from_str_radix(hex, 16).expect("hex"))),
                _ => float_to_string(f32::from_bits(u32::from_str_radix(hex, 16).expect("hex"))),
            };
            count += 1;
            if actual != expected {
                failures.push(format!("{kind} {hex}: java {expected}, ours {actual}"));
            }
        }
        assert!(
            failures.is_empty(),
            "{} of {count} differ, e.g. {:?}",
            failures.len(),
            &failures[..failures.len().min(20)]
        );
    }
}
