module torrentlab-starter

go 1.21
