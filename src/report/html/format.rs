//! How values are written into the page: escaped text, signed margins and
//! the look (colour and mark) of each service.

/// Hues a service may take: all but the reds (red means "broken" here).
const HUE_FROM: f64 = 20.0;
const HUE_SPAN: f64 = 320.0;

/// How a service is drawn: its own hue (no two services of a page share
/// one), a lightness, and a mark (0 plain, 1 stripes, 2 dots) so that
/// services of neighbouring hues differ in more than colour.
pub(super) struct Look {
    pub colour: String,
    pub mark: usize,
}

/// The look of service `index` of `count`. Hues are spread evenly over the
/// span; consecutive services (often related ones) are a golden-ratio step
/// apart on it, and neighbouring hues alternate lightness and mark.
pub(super) fn service_look(index: usize, count: usize) -> Look {
    let count = count.max(1);
    let slot = (index * golden_stride(count)) % count;
    let hue = HUE_FROM + HUE_SPAN * slot as f64 / count as f64;
    let lightness = if slot % 2 == 0 { 44 } else { 62 };
    Look {
        colour: format!("hsl({hue:.1},62%,{lightness}%)"),
        mark: slot % 3,
    }
}

/// The step coprime with `count` nearest above count / φ², so that every
/// slot is taken once.
fn golden_stride(count: usize) -> usize {
    let gcd = |mut a: usize, mut b: usize| {
        while b != 0 {
            (a, b) = (b, a % b);
        }
        a
    };
    let mut stride = ((count as f64 * 0.381_966).round() as usize).max(1);
    while gcd(stride, count) != 1 {
        stride += 1;
    }
    stride
}

/// Escapes text for HTML element content and quoted attribute values alike.
pub(super) fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

pub(super) fn signed(margin: i64) -> String {
    match margin {
        m if m > 0 => format!("+{m}"),
        0 => "0".to_string(),
        m => format!("\u{2212}{}", -m),
    }
}

#[cfg(test)]
mod tests {
    use super::service_look;

    #[test]
    fn no_two_services_share_a_hue_and_neighbouring_hues_differ_in_mark() {
        for count in [1, 2, 9, 12, 100, 3000] {
            let looks: Vec<_> = (0..count).map(|i| service_look(i, count)).collect();
            let hues: std::collections::BTreeSet<&str> = looks
                .iter()
                .map(|l| l.colour.split(',').next().unwrap())
                .collect();
            assert_eq!(hues.len(), count, "{count} services");
        }
    }
}
