'use strict'
// node while_parent_lives.js PROGRAM ARGS...: runs PROGRAM as `node PROGRAM ARGS...` would, and
// ends it when the test process that started it goes away, however that happens (a killed
// pytest included): that process holds the other end of our standard input.
const path = require('node:path')

process.stdin.on('end', () => process.exit(0))
process.stdin.on('error', () => process.exit(0))
process.stdin.resume()
process.argv.splice(1, 1)
process.argv[1] = path.resolve(process.argv[1])
require(process.argv[1])
