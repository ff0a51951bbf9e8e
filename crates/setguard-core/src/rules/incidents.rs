//! Rules of the incidents group.
