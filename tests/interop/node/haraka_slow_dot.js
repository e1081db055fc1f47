'use strict'
// A Haraka plugin for smtpdiag's interop tier (tests/interop/node_servers.py copies it into the
// private Haraka config as plugins/smtpdiag_slow_dot.js).  It answers the final dot slowly,
// chosen by the first recipient's local part, and queues nothing (the tier delivers no mail):
//   hang@...   data_post never answers: Haraka's own plugin timeout (config/smtpdiag_slow_dot.timeout)
//              replies "450 plugin timeout", as a slow content filter would
//   slow@...   data_post answers after SMTPDIAG_SLOW_MS (default 2000) ms, then "250 Message Queued"
//   anyone else: at once
// The client's name is set without DNS, and the queue hooks accept every message, relayed
// ones too, without storing or sending it.

exports.register = function () {
    this.register_hook('lookup_rdns', 'no_dns')
    this.register_hook('data_post', 'slow_dot')
    this.register_hook('queue', 'accept_and_drop')
    this.register_hook('queue_outbound', 'accept_and_drop') // relayed mail: never sent out
}

// The client's name without asking DNS: Haraka's own reverse lookup would ask the machine's
// resolver, and the tier sends nothing beyond loopback.
exports.no_dns = function (next) {
    next(OK, 'client.interop.test')
}

exports.slow_dot = function (next, connection) {
    const first = connection.transaction.rcpt_to[0]
    const local = first ? first.user.toLowerCase() : ''
    if (local === 'hang') return // never calls next: Haraka's plugin timeout answers
    if (local === 'slow') {
        setTimeout(() => next(), Number(process.env.SMTPDIAG_SLOW_MS || 2000))
        return
    }
    next()
}

exports.accept_and_drop = function (next) {
    next(OK)
}
