//! Rules of the ammunition group.
