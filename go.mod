module github.com/banscope/banscope

go 1.26.8

require github.com/urfave/cli/v3 v3.14.0

require github.com/google/go-cmp v0.7.0 // indirect
