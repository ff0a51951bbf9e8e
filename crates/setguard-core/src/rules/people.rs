//! Rules of the people group.
