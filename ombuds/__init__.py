"""ombuds: reporting and case handling for workplace sexual harassment and misconduct."""
