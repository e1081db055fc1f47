'use strict'
// nodemailer's smtp-server for smtpdiag's interop tier, started by tests/interop/node_servers.py:
//     node smtp_server.js '{"cert": ..., "key": ..., "listeners": {"open": 29650, ...}}'
// Only loopback.  No DNS: the client's reverse lookup is turned off.  Nothing is stored.
// The handlers are the small ones a real user writes; the replies are smtp-server's own, except
// where a handler's error says otherwise (named below).
//   open    STARTTLS offered, no AUTH needed.  onData by the first recipient's local part:
//           hang@  never answers (only the client's --data-timeout ends the wait)
//           slow@  answers "250 OK: message queued" after slowMs
//           defer@ a handler error with responseCode 451, as a busy content filter answers
//   auth    AUTH PLAIN LOGIN required (offered only after STARTTLS, smtp-server's default)
//   small   SIZE 300: a larger declared size is refused at MAIL
const fs = require('node:fs')
const { SMTPServer } = require('smtp-server')

const config = JSON.parse(process.argv[2])
const tlsFiles = { key: fs.readFileSync(config.key), cert: fs.readFileSync(config.cert) }

function onData(stream, session, callback) {
    const first = session.envelope.rcptTo[0]
    const local = first ? first.address.split('@')[0].toLowerCase() : ''
    stream.on('data', () => {})
    stream.on('end', () => {
        if (local === 'hang') return
        if (local === 'slow') return setTimeout(() => callback(null), config.slowMs)
        if (local === 'defer') {
            const err = new Error('Content filter busy, try again later')
            err.responseCode = 451
            return callback(err)
        }
        callback(null)
    })
}

function onAuth(auth, session, callback) {
    if (auth.username === config.user && auth.password === config.password) {
        return callback(null, { user: auth.username })
    }
    callback(new Error('Invalid username or password'))
}

const common = {
    name: 'mx.smtp-server.interop.test',
    disableReverseLookup: true,
    logger: false,
    ...tlsFiles,
    onData,
    onAuth,
}
const kinds = {
    open: { authOptional: true, size: 10 * 1024 * 1024 },
    auth: { authMethods: ['PLAIN', 'LOGIN'] },
    small: { authOptional: true, size: 300 },
}

for (const [name, port] of Object.entries(config.listeners)) {
    const server = new SMTPServer({ ...common, ...kinds[name] })
    server.on('error', (err) => console.error(`${name}: ${err.message}`))
    server.listen(port, '127.0.0.1', () => console.log(`listening ${name} 127.0.0.1:${port}`))
}
process.on('SIGTERM', () => process.exit(0))
