// Package layout holds no code: its test keeps the package layout the
// README describes, failing when a package imports across a line the
// README's layout table forbids.
package layout
