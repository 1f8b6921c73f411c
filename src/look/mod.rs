//! How every page and email looks: one [`palette`] of named colours and type, and one [`shell`] that every web
//! page (the subscription pages, their errors, the archive index) is rendered inside. The emails keep their own
//! table skeletons, because mail clients need inline styles and tables, but take every colour from the palette.

pub mod palette;
pub mod shell;
