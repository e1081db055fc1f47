#!/usr/bin/perl
# What sisimai (the reference bounce classifier) says about each message file given:
# one JSON line per recipient.  Used by bench/bounce_agreement.py --reference.
#   perl bench/sisimai_reasons.pl P5-SISIMAI/lib FILE...
use strict;
use warnings;

my $lib = shift @ARGV or die "usage: $0 P5-SISIMAI-LIB FILE...\n";
unshift @INC, $lib;
require Sisimai;
require JSON;

my $json = JSON->new->canonical;
for my $path (@ARGV) {
    my $facts = Sisimai->rise($path, 'delivered' => 1, 'vacation' => 1) || [];
    for my $fact (@$facts) {
        print $json->encode({
            'file'      => $path,
            'recipient' => lc($fact->recipient->address // ''),
            'reason'    => $fact->reason,
            'status'    => $fact->deliverystatus // '',
            'code'      => $fact->replycode // '',
            'command'   => $fact->smtpcommand // '',
            'agent'     => $fact->smtpagent // '',
        }), "\n";
    }
}
