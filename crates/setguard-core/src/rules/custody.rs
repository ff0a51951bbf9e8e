//! Rules of the custody group.
