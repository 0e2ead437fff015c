"""A minutes.json (docs/minutes-pdf.md, version 1) long enough to paginate: 40 attendees with
Vietnamese names, long opinions, votes, recordings; used by test_minutes_pdf.py."""

FAMILY = ['Nguyễn', 'Trần', 'Lê', 'Phạm', 'Hoàng', 'Huỳnh', 'Phan', 'Vũ', 'Võ', 'Đặng']
MIDDLE = ['Văn', 'Thị', 'Hữu', 'Đức', 'Ngọc']
GIVEN = ['Ánh', 'Bình', 'Cường', 'Dũng', 'Hải', 'Hương', 'Khánh', 'Lợi']
SITES = ['Xã Hải Phú', 'Phường Đông Hà', 'Huyện Gio Linh', 'Thị xã Quảng Trị']
STATES = ['present_hall', 'present_online', 'absent', 'not_checked_in']

OPINION = ('Đề nghị các sở, ngành tiếp tục rà soát tiến độ giải ngân vốn đầu tư công, tập trung '
           'tháo gỡ vướng mắc trong công tác bồi thường, giải phóng mặt bằng; bảo đảm an sinh xã '
           'hội, chăm lo Tết cho người có công và hộ nghèo; chủ động phòng, chống thiên tai. ')


def minutes(n_attendees=40, draft=False, confidential=False):
    attendance = []
    for i in range(n_attendees):
        state = STATES[i % 4]
        attendance.append({
            'name': '%s %s %s' % (FAMILY[i % 10], MIDDLE[i % 5], GIVEN[i % 8]),
            'role': 'member', 'site': SITES[i % 4], 'state': state,
            'reason': 'Đi công tác' if state == 'absent' else None,
            'intervals': [['08:02:15', '09:40:03']] if state.startswith('present') else [],
            'presence_s': 5868 - i * 60 if state.startswith('present') else 0})
    return {
        'version': 1, 'draft': draft, 'minutes_version': 1,
        'agency': {'parent': 'Ủy ban nhân dân tỉnh Quảng Trị', 'name': 'Văn phòng UBND tỉnh',
                   'code': 'VP', 'place': 'Quảng Trị'},
        'number': '12/BB-VP', 'date': '2026-12-05',
        'meeting': {'id': 12, 'room': 'so-noi-vu', 'title': 'Giao ban tháng 12',
                    'summary': 'Cuộc họp giao ban tháng 12 năm 2026',
                    'place': 'Phòng họp trực tuyến tỉnh',
                    'scheduled_start': '2026-12-05T08:00:00+07:00', 'scheduled_end': None,
                    'started': '2026-12-05T08:02:11+07:00', 'ended': '2026-12-05T09:40:03+07:00',
                    'confidential': confidential},
        'chair': {'name': 'Nguyễn Văn Ánh', 'title': 'Phó Chủ tịch UBND tỉnh'},
        'secretary': {'name': 'Trần Thị Bình', 'title': 'Chuyên viên'},
        'sites': [{'name': s, 'state': 'present_hall', 'presence_s': 5820} for s in SITES],
        'attendance': attendance,
        'agenda': [{'n': k + 1, 'title': 'Tình hình kinh tế - xã hội, mục %d' % (k + 1),
                    'opinions': [{'who': attendance[j]['name'], 'text': OPINION * 3}
                                 for j in range(3)],
                    'conclusions': ['Thống nhất giao Sở Kế hoạch và Đầu tư tổng hợp, báo cáo.'],
                    'decisions': ['Giao các địa phương hoàn thành trước ngày 20 tháng 12.']}
                   for k in range(3)],
        'votes': [{'question': 'Thông qua kế hoạch đầu tư công năm 2027?', 'secret': False,
                   'opened': '08:30:00', 'closed': '08:35:00',
                   'options': [{'label': 'Đồng ý', 'count': 9},
                               {'label': 'Không đồng ý', 'count': 1}],
                   'ballots': 10, 'result': 'Đồng ý 9/10'}],
        'events': [{'time': '08:10:00', 'text': 'Trần Thị Bình trình chiếu màn hình'}],
        'recordings': [{'file': 'meeting.webm', 'bytes': 123456789, 'sha256': 'ab' * 32}],
        'signature': {'signer': 'Nguyễn Văn Ánh', 'title': 'CHỦ TỌA'},
        'secretary_signature': {'signer': 'Trần Thị Bình', 'title': 'THƯ KÝ'},
        'recipients': ['Như trên;', 'Các sở, ban, ngành;', 'Lưu: VT.'],
    }
