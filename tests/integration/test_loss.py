"""Losses on a publisher's uplink are repaired: the server NACKs the publisher, which answers
with RTX, and the viewer's video keeps decoding (webrtcbin with NACK/RTX on, a seeded lossy UDP
relay between the publisher and the server; see tests/interop/gst_client.py --uplink-loss)."""
import re
import urllib.request

from harness import counts_from, valid_room


def metric_total(server, name):
    with urllib.request.urlopen(server.http_url + '/metrics', timeout=5) as r:
        text = r.read().decode()
    total = 0.0
    for line in text.splitlines():
        m = re.match(r'^%s(\{[^}]*\})? ([0-9.e+-]+)$' % re.escape(name), line)
        if m:
            total += float(m.group(2))
    return total


def test_uplink_loss_is_nacked_and_recovered(server, clients):
    room = valid_room('loss')
    a = clients(server, 'An', room, 16, '--nack', '--uplink-loss', '5', '--loss-seed', '7')
    ra = a.wait_joined()
    b = clients(server, 'Binh', room, 12, '--nack', '--no-publish')
    rb = b.wait()
    sent_nacks = metric_total(server, 'hoinghi_nack_sent_total')
    recovered = metric_total(server, 'hoinghi_nack_recovered_total')
    ra = a.wait()
    assert ra['rc'] == 0 and rb['rc'] == 0, (ra.get('errors'), rb.get('errors'))
    assert ra['relay']['dropped'] > 0, ra['relay']
    video, _audio = counts_from(rb, ra['id'])
    print('loss: relay %s, nack_sent %d, recovered %d, viewer decoded %d frames' % (
        ra['relay'], sent_nacks, recovered, video))
    assert sent_nacks > 0 and recovered > 0, (sent_nacks, recovered)
    assert video > 60, rb['received']
