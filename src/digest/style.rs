//! Inline styles of the email, named once. Email clients ignore most `<style>` blocks, so every
//! element carries its look in a `style` attribute; the block in the head only adds dark mode
//! and narrow-screen tweaks.

pub const FONT: &str =
    "font-family:-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;";

pub const BODY: &str = "margin:0;padding:0;background-color:#f3f4f6;";
pub const OUTER_CELL: &str = "padding:24px 12px;";
pub const CARD: &str = "width:600px;max-width:600px;background-color:#ffffff;border-radius:8px;";
pub const HEADER_CELL: &str = "padding:24px 28px 8px 28px;";
pub const BRAND: &str = "font-size:13px;line-height:18px;font-weight:700;letter-spacing:1px;text-transform:uppercase;color:#1d4ed8;";
pub const ISSUE_LINE: &str = "font-size:13px;line-height:18px;color:#4b5563;";
pub const INTRO: &str =
    "margin:8px 0 0 0;font-size:22px;line-height:28px;font-weight:700;color:#111827;";

pub const SECTION_CELL: &str = "padding:20px 28px;border-top:1px solid #e5e7eb;";
pub const CATEGORY: &str = "font-size:12px;line-height:16px;font-weight:700;text-transform:uppercase;letter-spacing:0.5px;color:#6b7280;";
pub const TITLE: &str =
    "margin:4px 0 4px 0;font-size:20px;line-height:26px;font-weight:700;color:#111827;";
pub const TITLE_LINK: &str = "color:#111827;text-decoration:none;";
pub const QUESTION: &str = "margin:0 0 14px 0;font-size:15px;line-height:22px;color:#374151;";

pub const COMPACT_CELL: &str = "padding:14px 28px;border-top:1px solid #e5e7eb;";
pub const COMPACT_TITLE: &str =
    "margin:2px 0 2px 0;font-size:17px;line-height:23px;font-weight:700;color:#111827;";
pub const COMPACT_LINE: &str = "padding-top:2px;font-size:13px;line-height:19px;color:#374151;";
pub const NOWRAP: &str = "white-space:nowrap;";
pub const COMPACT_LINK_LINE: &str = "margin:8px 0 0 0;font-size:14px;line-height:20px;";

pub const TOOL_CELL: &str =
    "padding:12px;background-color:#f9fafb;border:1px solid #e5e7eb;border-radius:6px;";
pub const TOOL_NAME: &str = "font-size:16px;line-height:22px;font-weight:700;color:#111827;";
pub const TAGLINE: &str = "font-size:13px;line-height:18px;color:#4b5563;padding-bottom:10px;";
/// On the metrics table, inherited by its cells: a busy week has a hundred metric rows, and
/// repeating the type on every cell alone would cost Gmail's size budget several KB.
pub const METRICS: &str = "font-size:12px;line-height:16px;color:#4b5563;";
pub const METRIC_LABEL: &str = "padding-top:6px;";
pub const METRIC_VALUE: &str = "padding-top:6px;text-align:right;font-weight:700;color:#111827;";
pub const BAR_TRACK: &str = "background-color:#e5e7eb;height:8px;font-size:0;line-height:0;";
pub const BAR_PANEL: &str = "background-color:#16a34a;height:8px;font-size:0;line-height:0;";
pub const BAR_COMMUNITY: &str = "background-color:#7c3aed;height:8px;font-size:0;line-height:0;";

pub const SPLIT_LINE: &str = "font-size:13px;line-height:19px;color:#374151;padding-top:4px;";
pub const SHIP: &str = "color:#15803d;font-weight:700;";
pub const SKIP: &str = "color:#b91c1c;font-weight:700;";
pub const QUOTE_CELL: &str = "padding:10px 14px;border-left:3px solid #1d4ed8;font-size:14px;line-height:21px;color:#1f2937;";
pub const QUOTE_BY: &str = "font-size:12px;line-height:16px;color:#6b7280;";
pub const NOTE_CELL: &str =
    "padding:10px 14px;background-color:#eff6ff;font-size:14px;line-height:21px;color:#1f2937;";
pub const BUTTON_CELL: &str = "background-color:#1d4ed8;border-radius:6px;";
pub const BUTTON_LINK: &str = "display:inline-block;padding:10px 18px;font-size:14px;line-height:18px;font-weight:700;color:#ffffff;text-decoration:none;";

pub const FOOTER_CELL: &str = "padding:20px 28px 28px 28px;border-top:1px solid #e5e7eb;font-size:12px;line-height:18px;color:#6b7280;";
pub const FOOTER_LINK: &str = "color:#1d4ed8;text-decoration:underline;";
/// Hidden every way clients honour; no text colour matching the background, which SpamAssassin
/// scores as hidden text (HTML_FONT_LOW_CONTRAST).
pub const PREHEADER: &str = "display:none;font-size:1px;line-height:1px;max-height:0;max-width:0;opacity:0;overflow:hidden;mso-hide:all;";

/// Dark mode (Apple Mail, Thunderbird, Outlook.com) and phone widths. The classes it names are
/// on the elements above; `!important` is needed to beat the inline styles.
pub const HEAD_CSS: &str = "\
:root{color-scheme:light dark;}\
@media (prefers-color-scheme: dark){\
.vd-body{background-color:#0b0f19 !important;}\
.vd-card{background-color:#111827 !important;}\
.vd-tool,.vd-note{background-color:#1f2937 !important;border-color:#374151 !important;}\
.vd-text{color:#f3f4f6 !important;}\
.vd-muted{color:#cbd5e1 !important;}\
.vd-link,.vd-note a{color:#93c5fd !important;}\
.vd-pad{border-color:#374151 !important;}\
.vd-track{background-color:#374151 !important;}\
.vd-ship{color:#4ade80 !important;}\
.vd-skip{color:#f87171 !important;}\
}\
@media only screen and (max-width:620px){\
.vd-card{width:100% !important;}\
.vd-pad{padding-left:16px !important;padding-right:16px !important;}\
.vd-stack{display:block !important;width:100% !important;box-sizing:border-box;}\
.vd-gap{display:block !important;width:auto !important;height:12px !important;}\
}";
