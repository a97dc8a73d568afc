//! Rack elevations: each rack as SVG, its servers at their units and their
//! replicas as chips coloured by service.

use std::fmt::Write;

use super::format::{esc, service_look};
use crate::inventory::Status;
use crate::report::overview::{Overview, RackView, ServerView, Slot};
use crate::report::text::num;

/// Pixels per rack unit, and the rack drawing's width.
const UNIT_PX: u32 = 14;
const RACK_PX: u32 = 250;
/// Where replica chips start inside a server, and how much room they have.
const CHIPS_X: f64 = 128.0;
const CHIPS_W: f64 = 116.0;

/// The marks drawn over chips, shared by every rack drawing of the page.
const MARKS: &str = "<svg width=\"0\" height=\"0\" style=\"position:absolute\" aria-hidden=\"true\"><defs>\
<pattern id=\"mk1\" width=\"4\" height=\"4\" patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\"><rect width=\"2\" height=\"4\" fill=\"rgba(255,255,255,.6)\"/></pattern>\
<pattern id=\"mk2\" width=\"4\" height=\"4\" patternUnits=\"userSpaceOnUse\"><circle cx=\"2\" cy=\"2\" r=\"1.1\" fill=\"rgba(255,255,255,.8)\"/></pattern>\
</defs></svg>\n";

pub(super) fn racks(h: &mut String, o: &Overview) {
    h.push_str(MARKS);
    h.push_str("<h2>Racks</h2>\n<p class=\"note\">Servers at their <code>position</code>; dashed outline: no usable position, drawn in the lowest free units; pink zone: no free units left. Chips are replicas coloured by service; a white chip is a replica that counts as down.</p>\n");
    for dc in &o.datacenters {
        let _ = writeln!(
            h,
            "<h3>{}{}</h3>\n<div class=\"racks\">",
            esc(&dc.id),
            dc.name
                .as_ref()
                .map(|n| format!(" <span class=\"note\">{}</span>", esc(n)))
                .unwrap_or_default()
        );
        let mut rooms: Vec<&str> = Vec::new();
        for rack in &dc.racks {
            if !rooms.contains(&rack.room.as_str()) {
                rooms.push(&rack.room);
            }
        }
        for room in rooms {
            let _ = writeln!(
                h,
                "<div class=\"room\"><h3>room {}</h3><div class=\"roomracks\">",
                if room.is_empty() {
                    "(none)".to_string()
                } else {
                    esc(room)
                }
            );
            for rack in dc.racks.iter().filter(|r| r.room == room) {
                rack_svg(h, rack, o);
            }
            h.push_str("</div></div>\n");
        }
        h.push_str("</div>\n");
    }
}

fn rack_svg(h: &mut String, rack: &RackView, o: &Overview) {
    let top = 18;
    let units = rack.drawn_units;
    let height = top + units * UNIT_PX + 4;
    let y_of = |unit: u32| top + (units - unit) * UNIT_PX;
    let _ = writeln!(
        h,
        "<svg class=\"rack\" data-rack=\"{id}\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{RACK_PX}\" height=\"{height}\" viewBox=\"0 0 {RACK_PX} {height}\">\n<text x=\"22\" y=\"12\" font-size=\"12\" font-weight=\"bold\">{id}</text>",
        id = esc(&rack.id)
    );
    if units > rack.u_height {
        let _ = writeln!(
            h,
            "<rect x=\"20\" y=\"{top}\" width=\"{}\" height=\"{}\" fill=\"#fde0ea\" stroke=\"#c66\" stroke-dasharray=\"4 2\"><title>above the rack's {} units: servers that did not fit</title></rect>",
            RACK_PX - 22,
            (units - rack.u_height) * UNIT_PX,
            rack.u_height
        );
    }
    let _ = writeln!(
        h,
        "<rect x=\"20\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"#f3f3f3\" stroke=\"#555\"/>",
        y_of(rack.u_height),
        RACK_PX - 22,
        rack.u_height * UNIT_PX
    );
    for unit in (1..=rack.u_height).filter(|u| *u == 1 || u % 5 == 0) {
        let _ = writeln!(
            h,
            "<text x=\"17\" y=\"{}\" font-size=\"9\" text-anchor=\"end\" fill=\"#666\">{unit}</text>",
            y_of(unit) + UNIT_PX - 3
        );
    }
    for server in &rack.servers {
        server_svg(h, server, o, y_of(server.position + server.u_height - 1));
    }
    h.push_str("</svg>\n");
}

/// A server's tooltip: id, model, units, cores reserved, and why it is drawn
/// where it is when that is not its own position.
fn server_title(s: &ServerView) -> String {
    let units = match s.u_height {
        1 => format!("unit {}", s.position),
        h => format!("units {}-{}", s.position, s.position + h - 1),
    };
    let mut title = format!(
        "{}{}: {units}, {} of {} cores reserved",
        s.id,
        s.model
            .as_ref()
            .map(|m| format!(" ({m})"))
            .unwrap_or_default(),
        num(s.cpu_used),
        num(s.cpu)
    );
    if s.status != Status::Active {
        let _ = write!(title, ", {}", s.status.as_str());
    }
    match s.placed_by {
        Slot::Given => {}
        Slot::Free => title.push_str(", no usable position: drawn in the lowest free units"),
        Slot::Overflow => title.push_str(", no free units left: drawn above the rack"),
    }
    title
}

fn server_svg(h: &mut String, s: &ServerView, o: &Overview, y: u32) {
    let px = s.u_height * UNIT_PX - 1;
    let fill = match s.status {
        Status::Offline => "#c8c8c8",
        Status::Maintenance => "#e4e4e4",
        Status::Active => "#ffffff",
    };
    let dash = match s.placed_by {
        Slot::Given => "",
        Slot::Free | Slot::Overflow => " stroke-dasharray=\"3 2\"",
    };
    let title = server_title(s);
    let _ = writeln!(
        h,
        "<g class=\"server\" data-server=\"{id}\"><title>{title}</title><rect x=\"22\" y=\"{y}\" width=\"{w}\" height=\"{px}\" fill=\"{fill}\" stroke=\"#333\" stroke-width=\"0.8\"{dash}/><text x=\"25\" y=\"{ty}\" font-size=\"10\">{id}</text>",
        id = esc(&s.id),
        title = esc(&title),
        w = RACK_PX - 26,
        ty = y + px.min(UNIT_PX) - 3,
    );
    let chips = s.replicas.len().max(1) as f64;
    let width = (CHIPS_W / chips).min(15.0);
    let chip_h = (px as f64 - 3.0).min(11.0);
    for (k, r) in s.replicas.iter().enumerate() {
        let service = &o.services[r.service];
        let look = service_look(r.service, o.services.len());
        let colour = look.colour;
        let up = r.up == r.placed;
        let (fill, stroke, class) = if up {
            (colour.as_str(), "#fff", "chip")
        } else {
            ("#fff", colour.as_str(), "chip down")
        };
        let _ = writeln!(
            h,
            "<rect class=\"{class}\" data-service=\"{n}\" data-count=\"{count}\" x=\"{x}\" y=\"{cy}\" width=\"{cw}\" height=\"{ch}\" rx=\"1.5\" fill=\"{fill}\" style=\"stroke:{stroke}\"><title>{n}: {count} replica{plural}{down}</title></rect>",
            n = esc(&service.status.service),
            count = r.placed,
            x = num(CHIPS_X + width * k as f64),
            cy = num(y as f64 + 1.5),
            cw = num(width - 1.0),
            ch = num(chip_h),
            plural = if r.placed == 1 { "" } else { "s" },
            down = if r.up == r.placed {
                String::new()
            } else {
                format!(", {} counted as down", r.placed - r.up)
            },
        );
        if up && look.mark > 0 {
            // The service's mark over its colour (patterns in MARKS).
            let _ = writeln!(
                h,
                "<rect class=\"mark\" x=\"{x}\" y=\"{cy}\" width=\"{cw}\" height=\"{ch}\" rx=\"1.5\" fill=\"url(#mk{m})\" pointer-events=\"none\"/>",
                x = num(CHIPS_X + width * k as f64),
                cy = num(y as f64 + 1.5),
                cw = num(width - 1.0),
                ch = num(chip_h),
                m = look.mark,
            );
        }
    }
    h.push_str("</g>\n");
}
