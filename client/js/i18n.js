// Translations and language switching. Vietnamese is the default; English is switchable.
// Every user-visible string of the client lives in STRINGS. Elements carry
//   data-i18n="key"                  -> textContent
//   data-i18n-attr="attr:key;..."    -> attributes (aria-label, title, placeholder)
// and applyTranslations() fills them in; dynamic text calls t(key, params).

const STRINGS = {
  vi: {
    'app.title': 'Hội nghị trực tuyến',
    'lang.other': 'English',
    'lang.switch': 'Chuyển sang tiếng Anh',
    'form.heading': 'Tham gia phòng họp',
    'form.room': 'Phòng họp',
    'form.room.help': 'Tên phòng họp, có dấu hay không dấu đều được (ví dụ: Sở Y tế).',
    'form.room.placeholder': 'Ví dụ: Giao ban tuần',
    'form.room.invalid': 'Tên phòng cần có ít nhất một chữ cái hoặc chữ số.',
    'form.room.tooLong': 'Tên phòng quá dài: tối đa 64 ký tự sau khi bỏ dấu và khoảng trắng.',
    'form.room.slug': 'Mã phòng: {slug}',
    'form.room.notFound': 'Không có phòng họp này. Hãy kiểm tra lại tên phòng.',
    'form.name': 'Tên hiển thị',
    'form.name.placeholder': 'Ví dụ: Nguyễn Văn An',
    'form.name.invalid': 'Vui lòng nhập tên hiển thị (tối đa 64 ký tự).',
    'form.devices': 'Trình duyệt sẽ xin quyền dùng camera và micrô.',
    'form.pin': 'Mã PIN của phòng',
    'form.pin.help': 'Phòng họp này cần mã PIN do ban tổ chức cung cấp.',
    'form.pin.invalid': 'Mã PIN chỉ gồm chữ số (tối đa 32 chữ số).',
    'form.pin.wrong': 'Mã PIN không đúng.',
    'form.submit': 'Tham gia',
    'form.joining': 'Đang tham gia…',
    'ctl.toolbar': 'Điều khiển cuộc họp',
    'ctl.mic.off': 'Tắt micrô',
    'ctl.mic.on': 'Bật micrô',
    'ctl.cam.off': 'Tắt camera',
    'ctl.cam.on': 'Bật camera',
    'ctl.leave': 'Rời phòng',
    'drawer.close': 'Đóng bảng',
    'devices.title': 'Thiết bị',
    'devices.camera': 'Camera',
    'devices.mic': 'Micrô',
    'devices.speaker': 'Loa',
    'devices.default': 'Mặc định của máy',
    'devices.choose': 'Chọn camera, micrô, loa',
    'devices.joinMic': 'Micrô bật khi vào',
    'devices.joinCam': 'Camera bật khi vào',
    'devices.level': 'Mức âm thanh của micrô',
    'devices.previewFailed': 'Chưa mở được camera hoặc micrô để xem trước; vẫn có thể tham gia.',
    'devices.switchFailed': 'Không chuyển được sang thiết bị đã chọn.',
    'panel.participants': 'Người tham dự',
    'role.chair': 'Chủ trì',
    'role.secretary': 'Thư ký',
    'role.member': 'Đại biểu',
    'role.observer': 'Quan sát',
    'role.site': 'Điểm cầu',
    'role.chairRights': 'quyền chủ trì',
    'mod.handN': 'Giơ tay #{n}',
    'mod.micOn': 'Micrô bật',
    'mod.micOff': 'Micrô tắt',
    'mod.micLocked': 'Chủ trì đã tắt micrô',
    'mod.camOn': 'Camera bật',
    'mod.camOff': 'Camera tắt',
    'mod.camLocked': 'Chủ trì đã tắt camera',
    'mod.mute': 'Tắt micrô',
    'mod.askUnmute': 'Mời bật micrô',
    'mod.muteCam': 'Tắt camera',
    'mod.allowCam': 'Cho bật camera',
    'mod.giveFloor': 'Mời phát biểu',
    'mod.stopShare': 'Dừng trình chiếu',
    'mod.presenting': 'Đang trình chiếu',
    'mod.grantChair': 'Trao quyền chủ trì',
    'mod.revokeChair': 'Thu hồi quyền chủ trì',
    'mod.remove': 'Mời ra',
    'mod.removeConfirm': 'Mời {name} ra khỏi cuộc họp?',
    'mod.muteAll': 'Tắt micrô tất cả',
    'mod.lowerHands': 'Hạ tất cả tay',
    'mod.lock': 'Khóa cuộc họp',
    'mod.unlock': 'Mở khóa cuộc họp',
    'mod.end': 'Kết thúc cuộc họp',
    'mod.endConfirm': 'Kết thúc cuộc họp cho tất cả mọi người?',
    'mod.locked': 'Cuộc họp đã khóa: không ai vào thêm được.',
    'mod.raiseHand': 'Giơ tay',
    'mod.lowerMyHand': 'Hạ tay',
    'mod.chairMutedYou': 'Chủ trì đã tắt micrô của bạn',
    'mod.chairCamOff': 'Chủ trì đã tắt camera của bạn',
    'mod.youMuted': 'Chủ trì đã tắt micrô của bạn.',
    'mod.youCamOff': 'Chủ trì đã tắt camera của bạn.',
    'mod.askedMic': 'Chủ trì mời bạn bật micrô.',
    'mod.askedCam': 'Chủ trì mời bạn bật camera.',
    'mod.accept': 'Đồng ý',
    'mod.removed': 'Chủ trì đã mời bạn ra khỏi cuộc họp.',
    'mod.ended': 'Chủ trì đã kết thúc cuộc họp.',
    'ctl.invite': 'Sao chép liên kết mời',
    'ctl.follow': 'Theo người phát biểu',
    'ctl.share': 'Trình chiếu',
    'ctl.share.stop': 'Dừng trình chiếu',
    'share.takeOver': '{name} đang trình chiếu. Tiếp quản phần trình chiếu?',
    'share.takenOver': '{name} đã tiếp quản phần trình chiếu.',
    'share.stoppedByChair': 'Chủ tọa đã dừng phần trình chiếu của bạn.',
    'share.unsupported': 'Trình duyệt này không chia sẻ được màn hình.',
    'tile.screen': 'Màn hình của {name}',
    'tile.myScreen': 'Màn hình bạn đang trình chiếu',
    'tile.videoPaused': 'Tạm dừng hình ảnh để tiết kiệm băng thông (chỉ hiện người phát biểu gần nhất)',
    'invite.copied': 'Đã sao chép liên kết mời.',
    'invite.manual': 'Liên kết mời: {url}',
    'room.label': 'Phòng: {room}',
    'room.count': '{n} người tham gia',
    'room.clock': 'Thời gian đã họp',
    'quality.good': 'Kết nối tốt',
    'quality.fair': 'Kết nối trung bình',
    'quality.poor': 'Kết nối kém',
    'tile.pin': 'Ghim lên lớn',
    'tile.fullscreen': 'Toàn màn hình',
    'help.title': 'Phím tắt',
    'help.mic': 'Bật/tắt micrô',
    'help.cam': 'Bật/tắt camera',
    'help.share': 'Trình chiếu / dừng trình chiếu',
    'help.full': 'Toàn màn hình (ô được ghim, hoặc cả cuộc họp)',
    'help.help': 'Bảng phím tắt này',
    'help.close': 'Đóng',
    'room.empty': 'Chưa có ai khác trong phòng. Hãy gửi liên kết mời cho người cần dự họp.',
    'tiles.label': 'Người tham gia',
    'tile.you': '{name} (bạn)',
    'tile.unknown': 'Người tham gia',
    'tile.micOff': 'Micrô đang tắt',
    'tile.speaking': 'Đang nói',
    'tile.dominant': 'Đang phát biểu',
    'status.media': 'Đang lấy camera và micrô…',
    'status.connecting': 'Đang kết nối tới máy chủ…',
    'status.joining': 'Đang vào phòng…',
    'status.joined': 'Đã kết nối',
    'status.mediaConnecting': 'Đang thiết lập đường truyền âm thanh, hình ảnh…',
    'status.mediaFailed': 'Đường truyền âm thanh, hình ảnh bị gián đoạn.',
    'status.offline': 'Mất kết nối',
    'status.lost': 'Mất kết nối tới máy chủ. Tự động kết nối lại sau {s} giây…',
    'status.rejoining': 'Đang kết nối lại…',
    'status.reconnectingMedia': 'Đường truyền bị gián đoạn, đang kết nối lại…',
    'reconnect.now': 'Kết nối lại ngay',
    'notice.receiveOnly': 'Không dùng được camera và micrô ({reason}). Bạn tham gia ở chế độ chỉ xem và nghe.',
    'notice.noCamera': 'Không dùng được camera ({reason}). Bạn chỉ gửi âm thanh.',
    'notice.noMic': 'Không dùng được micrô ({reason}). Bạn chỉ gửi hình ảnh.',
    'media.denied': 'quyền sử dụng bị từ chối',
    'media.notFound': 'không tìm thấy thiết bị',
    'media.busy': 'thiết bị đang được ứng dụng khác sử dụng',
    'media.insecure': 'trang phải được mở qua HTTPS hoặc localhost',
    'media.unsupported': 'trình duyệt không hỗ trợ',
    'media.other': 'lỗi thiết bị',
    'audio.blocked': 'Trình duyệt đã chặn phát âm thanh.',
    'audio.enable': 'Bật âm thanh',
    'event.joined': '{name} đã tham gia.',
    'event.left': '{name} đã rời phòng.',
    'event.disconnected': '{name} bị mất kết nối.',
    'event.timeout': '{name} không còn phản hồi.',
    'event.youLeft': 'Bạn đã rời phòng.',
    'error.server': 'Máy chủ báo lỗi: {text}',
    'error.detail': 'Chi tiết: {message}',
    'error.bad-json': 'tin nhắn không phải JSON hợp lệ.',
    'error.too-big': 'tin nhắn quá lớn.',
    'error.bad-type': 'loại tin nhắn không hợp lệ.',
    'error.bad-field': 'dữ liệu gửi lên không hợp lệ.',
    'error.not-joined': 'chưa vào phòng.',
    'error.already-joined': 'đã vào phòng rồi.',
    'error.room-not-found': 'không có phòng họp này. Hãy kiểm tra lại tên phòng.',
    'error.room-full': 'phòng họp đã đủ số người tối đa.',
    'error.bad-sdp': 'máy chủ không chấp nhận thông số âm thanh, hình ảnh của trình duyệt.',
    'error.bad-state': 'trình tự thiết lập kết nối không hợp lệ.',
    'error.forbidden': 'vai trò của bạn trong cuộc họp không cho phép thao tác này.',
    'error.limit': 'vượt quá giới hạn của máy chủ.',
    'error.internal': 'máy chủ gặp lỗi nội bộ.',
    'error.auth-required': 'phòng họp này cần mã PIN hoặc đường dẫn mời.',
    'error.bad-token': 'đường dẫn mời không hợp lệ.',
    'error.token-expired': 'đường dẫn mời đã hết hạn. Hãy xin ban tổ chức đường dẫn mới.',
    'error.wrong-room': 'đường dẫn mời dành cho phòng họp khác.',
    'error.bad-pin': 'mã PIN không đúng.',
    'error.locked': 'nhập sai quá nhiều lần. Vui lòng chờ vài phút rồi thử lại.',
    'error.rate-limited': 'thử quá nhiều lần. Vui lòng chờ một lát.',
    'lobby.waiting': 'Đang chờ chủ trì cho vào phòng…',
    'lobby.position': 'Bạn là người thứ {n} trong hàng chờ',
    'lobby.noChair': 'Chủ trì chưa vào phòng',
    'lobby.cancel': 'Hủy',
    'lobby.panel': 'Phòng chờ',
    'lobby.knock': '{name} đang chờ vào phòng',
    'lobby.admit': 'Cho vào',
    'lobby.deny': 'Từ chối',
    'lobby.admitAll': 'Cho tất cả vào',
    'lobby.empty': 'Không có ai đang chờ.',
    'lobby.count': '{n} người đang chờ',
    'status.lobby': 'Đang ở phòng chờ',
    'error.denied': 'chủ trì không cho bạn vào phòng.',
    'error.lobby-timeout': 'đã chờ quá lâu mà chưa được cho vào phòng.',
    'error.unknown': 'lỗi không xác định ({code}).',
    'error.policy': 'Máy chủ đã đóng kết nối vì có quá nhiều lỗi.',
    'error.webrtc': 'Trình duyệt không hỗ trợ WebRTC. Hãy dùng Chromium, Chrome, Edge hoặc Firefox bản mới.',
    'error.negotiation': 'Không thiết lập được âm thanh, hình ảnh: {message}',
    'chat.title': 'Trò chuyện',
    'chat.to': 'Gửi tới',
    'chat.toAll': 'Mọi người',
    'chat.toChair': 'Riêng chủ trì',
    'chat.privateTag': '→ chủ trì',
    'chat.placeholder': 'Nhập tin nhắn (Enter để gửi)',
    'chat.send': 'Gửi',
    'vote.title': 'Biểu quyết',
    'vote.none': 'Chưa có biểu quyết nào.',
    'vote.question': 'Nội dung biểu quyết',
    'vote.options': 'Các phương án (mỗi dòng một phương án)',
    'vote.optionsHelp': 'Để trống: Đồng ý / Không đồng ý / Không ý kiến',
    'vote.secretLabel': 'Bỏ phiếu kín',
    'vote.openButton': 'Mở biểu quyết',
    'vote.open': 'Đang biểu quyết',
    'vote.closed': 'Đã kết thúc',
    'vote.secret': 'bỏ phiếu kín',
    'vote.public': 'biểu quyết công khai',
    'vote.ballots': 'Đã có {n} phiếu',
    'vote.voted': 'Bạn đã biểu quyết.',
    'vote.close': 'Kết thúc biểu quyết',
    'vote.who': 'Ai chọn gì',
    'dismiss': 'Đóng',
  },
  en: {
    'app.title': 'Video meeting',
    'lang.other': 'Tiếng Việt',
    'lang.switch': 'Switch to Vietnamese',
    'form.heading': 'Join a meeting',
    'form.room': 'Meeting room',
    'form.room.help': 'The meeting room\'s name, with or without accents (e.g. Sở Y tế).',
    'form.room.placeholder': 'e.g. Weekly briefing',
    'form.room.invalid': 'A room name needs at least one letter or digit.',
    'form.room.tooLong': 'The room name is too long: at most 64 characters once accents and spaces are dropped.',
    'form.room.slug': 'Room id: {slug}',
    'form.room.notFound': 'There is no such meeting room. Please check the room name.',
    'form.name': 'Display name',
    'form.name.placeholder': 'e.g. Jane Smith',
    'form.name.invalid': 'Please enter a display name (up to 64 characters).',
    'form.devices': 'Your browser will ask to use your camera and microphone.',
    'form.pin': 'Room PIN',
    'form.pin.help': 'This meeting needs the PIN the organisers gave you.',
    'form.pin.invalid': 'A PIN has only digits (up to 32).',
    'form.pin.wrong': 'Wrong PIN.',
    'form.submit': 'Join',
    'form.joining': 'Joining…',
    'ctl.toolbar': 'Meeting controls',
    'ctl.mic.off': 'Mute microphone',
    'ctl.mic.on': 'Unmute microphone',
    'ctl.cam.off': 'Turn camera off',
    'ctl.cam.on': 'Turn camera on',
    'ctl.leave': 'Leave',
    'drawer.close': 'Close panel',
    'devices.title': 'Devices',
    'devices.camera': 'Camera',
    'devices.mic': 'Microphone',
    'devices.speaker': 'Speaker',
    'devices.default': 'System default',
    'devices.choose': 'Choose camera, microphone, speaker',
    'devices.joinMic': 'Microphone on when joining',
    'devices.joinCam': 'Camera on when joining',
    'devices.level': 'Microphone level',
    'devices.previewFailed': 'The camera or microphone could not be opened for a preview; you can still join.',
    'devices.switchFailed': 'Could not switch to the chosen device.',
    'panel.participants': 'Participants',
    'role.chair': 'Chair',
    'role.secretary': 'Secretary',
    'role.member': 'Participant',
    'role.observer': 'Observer',
    'role.site': 'Site',
    'role.chairRights': 'chair rights',
    'mod.handN': 'Hand #{n}',
    'mod.micOn': 'Mic on',
    'mod.micOff': 'Mic off',
    'mod.micLocked': 'Muted by the chair',
    'mod.camOn': 'Camera on',
    'mod.camOff': 'Camera off',
    'mod.camLocked': 'Camera off by the chair',
    'mod.mute': 'Mute',
    'mod.askUnmute': 'Ask to unmute',
    'mod.muteCam': 'Turn camera off',
    'mod.allowCam': 'Allow camera',
    'mod.giveFloor': 'Give the floor',
    'mod.stopShare': 'Stop presenting',
    'mod.presenting': 'Presenting',
    'mod.grantChair': 'Grant chair rights',
    'mod.revokeChair': 'Revoke chair rights',
    'mod.remove': 'Remove',
    'mod.removeConfirm': 'Remove {name} from the meeting?',
    'mod.muteAll': 'Mute all',
    'mod.lowerHands': 'Lower all hands',
    'mod.lock': 'Lock meeting',
    'mod.unlock': 'Unlock meeting',
    'mod.end': 'End meeting',
    'mod.endConfirm': 'End the meeting for everyone?',
    'mod.locked': 'The meeting is locked: nobody else can join.',
    'mod.raiseHand': 'Raise hand',
    'mod.lowerMyHand': 'Lower hand',
    'mod.chairMutedYou': 'The chair muted you',
    'mod.chairCamOff': 'The chair turned your camera off',
    'mod.youMuted': 'The chair muted your microphone.',
    'mod.youCamOff': 'The chair turned your camera off.',
    'mod.askedMic': 'The chair asks you to unmute.',
    'mod.askedCam': 'The chair asks you to turn your camera on.',
    'mod.accept': 'Accept',
    'mod.removed': 'The chair removed you from the meeting.',
    'mod.ended': 'The chair ended the meeting.',
    'ctl.invite': 'Copy invitation link',
    'ctl.follow': 'Follow the speaker',
    'ctl.share': 'Present',
    'ctl.share.stop': 'Stop presenting',
    'share.takeOver': '{name} is presenting. Take over the presentation?',
    'share.takenOver': '{name} took over the presentation.',
    'share.stoppedByChair': 'The chair stopped your presentation.',
    'share.unsupported': 'This browser cannot share a screen.',
    'tile.screen': "{name}'s screen",
    'tile.myScreen': 'The screen you are presenting',
    'tile.videoPaused': 'Video paused to save bandwidth (only the latest speakers are shown)',
    'invite.copied': 'Invitation link copied.',
    'invite.manual': 'Invitation link: {url}',
    'room.label': 'Room: {room}',
    'room.count': '{n} participants',
    'room.clock': 'Meeting time',
    'quality.good': 'Good connection',
    'quality.fair': 'Fair connection',
    'quality.poor': 'Poor connection',
    'tile.pin': 'Pin large',
    'tile.fullscreen': 'Full screen',
    'help.title': 'Keyboard shortcuts',
    'help.mic': 'Microphone on/off',
    'help.cam': 'Camera on/off',
    'help.share': 'Present / stop presenting',
    'help.full': 'Full screen (the pinned tile, or the whole meeting)',
    'help.help': 'This list of shortcuts',
    'help.close': 'Close',
    'room.empty': 'Nobody else is here yet. Send the invitation link to the people you expect.',
    'tiles.label': 'Participants',
    'tile.you': '{name} (you)',
    'tile.unknown': 'Participant',
    'tile.micOff': 'Microphone off',
    'tile.speaking': 'Speaking',
    'tile.dominant': 'Has the floor',
    'status.media': 'Opening camera and microphone…',
    'status.connecting': 'Connecting to the server…',
    'status.joining': 'Joining the room…',
    'status.joined': 'Connected',
    'status.mediaConnecting': 'Setting up audio and video…',
    'status.mediaFailed': 'The audio/video connection is interrupted.',
    'status.offline': 'Disconnected',
    'status.lost': 'Connection to the server lost. Reconnecting in {s} s…',
    'status.rejoining': 'Reconnecting…',
    'status.reconnectingMedia': 'The connection was interrupted, reconnecting…',
    'reconnect.now': 'Reconnect now',
    'notice.receiveOnly': 'Camera and microphone unavailable ({reason}). You joined to watch and listen only.',
    'notice.noCamera': 'Camera unavailable ({reason}). You are sending audio only.',
    'notice.noMic': 'Microphone unavailable ({reason}). You are sending video only.',
    'media.denied': 'permission denied',
    'media.notFound': 'no device found',
    'media.busy': 'the device is used by another application',
    'media.insecure': 'the page must be opened over HTTPS or on localhost',
    'media.unsupported': 'not supported by this browser',
    'media.other': 'device error',
    'audio.blocked': 'The browser blocked sound playback.',
    'audio.enable': 'Enable sound',
    'event.joined': '{name} joined.',
    'event.left': '{name} left.',
    'event.disconnected': '{name} lost the connection.',
    'event.timeout': '{name} stopped responding.',
    'event.youLeft': 'You left the meeting.',
    'error.server': 'Server error: {text}',
    'error.detail': 'Details: {message}',
    'error.bad-json': 'the message was not valid JSON.',
    'error.too-big': 'the message was too big.',
    'error.bad-type': 'unknown message type.',
    'error.bad-field': 'invalid data was sent.',
    'error.not-joined': 'not in a room yet.',
    'error.already-joined': 'already in the room.',
    'error.room-not-found': 'there is no such meeting room. Please check the room name.',
    'error.room-full': 'the meeting room is full.',
    'error.bad-sdp': 'the server did not accept the browser\'s audio/video parameters.',
    'error.bad-state': 'the connection setup happened out of order.',
    'error.forbidden': 'your role in the meeting does not allow this.',
    'error.limit': 'over a server limit.',
    'error.internal': 'internal server error.',
    'error.auth-required': 'this meeting needs its PIN or an invitation link.',
    'error.bad-token': 'the invitation link is not valid.',
    'error.token-expired': 'the invitation link has expired. Ask the organisers for a new one.',
    'error.wrong-room': 'the invitation link is for another meeting.',
    'error.bad-pin': 'wrong PIN.',
    'error.locked': 'too many failed attempts. Please wait a few minutes and try again.',
    'error.rate-limited': 'too many attempts. Please wait a moment.',
    'lobby.waiting': 'Waiting for the chair to admit you…',
    'lobby.position': 'You are number {n} in line',
    'lobby.noChair': 'The chair has not joined yet',
    'lobby.cancel': 'Cancel',
    'lobby.panel': 'Waiting',
    'lobby.knock': '{name} is waiting to join',
    'lobby.admit': 'Admit',
    'lobby.deny': 'Deny',
    'lobby.admitAll': 'Admit all',
    'lobby.empty': 'Nobody is waiting.',
    'lobby.count': '{n} waiting',
    'status.lobby': 'In the lobby',
    'error.denied': 'the chair did not let you in.',
    'error.lobby-timeout': 'nobody admitted you in time.',
    'error.unknown': 'unknown error ({code}).',
    'error.policy': 'The server closed the connection after too many errors.',
    'error.webrtc': 'This browser does not support WebRTC. Please use a recent Chromium, Chrome, Edge or Firefox.',
    'error.negotiation': 'Could not set up audio and video: {message}',
    'chat.title': 'Chat',
    'chat.to': 'To',
    'chat.toAll': 'Everyone',
    'chat.toChair': 'The chair only',
    'chat.privateTag': '→ chair',
    'chat.placeholder': 'Type a message (Enter to send)',
    'chat.send': 'Send',
    'vote.title': 'Votes',
    'vote.none': 'No vote yet.',
    'vote.question': 'Question',
    'vote.options': 'Options (one per line)',
    'vote.optionsHelp': 'Empty: Agree / Disagree / No opinion',
    'vote.secretLabel': 'Secret ballot',
    'vote.openButton': 'Open the vote',
    'vote.open': 'Voting',
    'vote.closed': 'Closed',
    'vote.secret': 'secret ballot',
    'vote.public': 'open vote',
    'vote.ballots': '{n} ballots cast',
    'vote.voted': 'You have voted.',
    'vote.close': 'Close the vote',
    'vote.who': 'Who chose what',
    'dismiss': 'Dismiss',
  },
};

export const LANGS = Object.freeze(Object.keys(STRINGS));
const STORAGE_KEY = 'hoinghi.lang';
let current = 'vi';
const listeners = new Set();

function readStored() {
  try {
    return localStorage.getItem(STORAGE_KEY);
  } catch {
    return null; // storage disabled (privacy mode): fall back to the default
  }
}

function store(lang) {
  try {
    localStorage.setItem(STORAGE_KEY, lang);
  } catch {
    /* not fatal: the choice just is not remembered */
  }
}

/** Picks the language: `urlLang` (the ?lang= parameter) wins and is remembered, then the
 *  stored choice, then Vietnamese. Unknown values are ignored. */
export function initLang(urlLang) {
  if (urlLang && LANGS.includes(urlLang)) {
    current = urlLang;
    store(urlLang);
  } else {
    const saved = readStored();
    current = saved && LANGS.includes(saved) ? saved : 'vi';
  }
  document.documentElement.lang = current;
  return current;
}

export function getLang() {
  return current;
}

/** Switches and remembers the language, re-translates the page and tells listeners. */
export function setLang(lang) {
  if (!LANGS.includes(lang) || lang === current) return;
  current = lang;
  store(lang);
  document.documentElement.lang = lang;
  applyTranslations(document);
  for (const fn of listeners) fn(lang);
}

/** Calls `fn(lang)` after every language change; returns a function that unsubscribes. */
export function onLangChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** The string for `key` in the current language with {placeholders} replaced from `params`.
 *  A missing key falls back to Vietnamese, then to the key itself (visible, never a crash). */
export function t(key, params) {
  let s = STRINGS[current][key] ?? STRINGS.vi[key] ?? key;
  if (params) {
    s = s.replace(/\{(\w+)\}/g, (m, name) => (name in params ? String(params[name]) : m));
  }
  return s;
}

/** True when `key` exists in the table (used to pick a generic text for unknown error codes). */
export function hasKey(key) {
  return key in STRINGS.vi;
}

/** Fills every [data-i18n] and [data-i18n-attr] element under `root`. */
export function applyTranslations(root) {
  for (const el of root.querySelectorAll('[data-i18n]')) {
    el.textContent = t(el.dataset.i18n);
  }
  for (const el of root.querySelectorAll('[data-i18n-attr]')) {
    for (const pair of el.dataset.i18nAttr.split(';')) {
      const [attr, key] = pair.split(':').map((x) => x.trim());
      if (attr && key) el.setAttribute(attr, t(key));
    }
  }
  document.title = t('app.title');
}

/** Adds a page's own strings ({vi: {...}, en: {...}}) to the table, so pages other than the
 *  meeting (login, audit) keep theirs in their own module. Existing keys are not replaced. */
export function addStrings(table) {
  for (const lang of LANGS) {
    for (const [key, text] of Object.entries(table[lang] ?? {})) {
      if (!(key in STRINGS[lang])) STRINGS[lang][key] = text;
    }
  }
}
