// Dapper.AOT intercepts every Dapper call at build time, so no query needs reflection emit at run time.
[module: Dapper.DapperAot]
