"""The "Click tracker settings" control panel."""
