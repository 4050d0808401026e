module github.com/banscope/banscope

go 1.26.8

require github.com/urfave/cli/v3 v3.14.0

require (
	github.com/dlclark/regexp2 v1.12.0 // indirect
	github.com/google/go-cmp v0.7.0 // indirect
	github.com/klauspost/compress v1.20.4 // indirect
	github.com/ulikunitz/xz v0.5.17 // indirect
)
