// Strings of the replay mode (time bar, past banner); merged into the tables in messages.ts.

export const viReplay = {
  'replay.open': 'Xem lại',
  'replay.title': 'Xem lại',
  'replay.banner': 'Xem lại — {time}',
  'replay.live': 'Về trực tiếp',
  'replay.play': 'Phát',
  'replay.pause': 'Tạm dừng',
  'replay.speed': 'Tốc độ',
  'replay.window': 'Khoảng thời gian',
  'replay.preset.1h': '1 giờ',
  'replay.preset.24h': '24 giờ',
  'replay.preset.7d': '7 ngày',
  'replay.playhead': 'Thời điểm xem lại',
  'replay.density': 'Mật độ cảnh báo',
  'replay.loading': 'Đang tải…',
  'replay.readOnly': 'Cảnh báo đang mở tại thời điểm này (chỉ xem)',
  'replay.error': 'Không tải được dữ liệu xem lại: {message}',
};

export const enReplay: Record<keyof typeof viReplay, string> = {
  'replay.open': 'Replay',
  'replay.title': 'Replay',
  'replay.banner': 'Replay — {time}',
  'replay.live': 'Back to live',
  'replay.play': 'Play',
  'replay.pause': 'Pause',
  'replay.speed': 'Speed',
  'replay.window': 'Window',
  'replay.preset.1h': '1 h',
  'replay.preset.24h': '24 h',
  'replay.preset.7d': '7 d',
  'replay.playhead': 'Replay moment',
  'replay.density': 'Alert density',
  'replay.loading': 'Loading…',
  'replay.readOnly': 'Alerts open at this moment (read-only)',
  'replay.error': 'Could not load the replay: {message}',
};
