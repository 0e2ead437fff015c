// Shared set-up of the account pages (login.html, audit.html): their strings in Vietnamese and
// English, the language button, and small helpers. The meeting page does not load this.
import { addStrings, applyTranslations, getLang, initLang, setLang, t } from './i18n.js';

const STRINGS = {
  vi: {
    'login.title': 'Đăng nhập',
    'login.name': 'Tên đăng nhập',
    'login.password': 'Mật khẩu',
    'login.submit': 'Đăng nhập',
    'login.busy': 'Đang đăng nhập…',
    'login.wrong': 'Sai tên đăng nhập hoặc mật khẩu.',
    'login.locked': 'Đăng nhập sai quá nhiều lần từ địa chỉ này. Vui lòng chờ rồi thử lại.',
    'login.failed': 'Không đăng nhập được (mã {status}).',
    'login.network': 'Không kết nối được tới máy chủ.',
    'login.help': 'Tài khoản do quản trị viên cấp (hoinghi user add).',
    'logout': 'Đăng xuất',
    'audit.title': 'Nhật ký kiểm tra',
    'audit.from': 'Từ',
    'audit.to': 'Đến',
    'audit.actor': 'Người thực hiện',
    'audit.action': 'Hành động',
    'audit.room': 'Phòng',
    'audit.detail': 'Chi tiết',
    'audit.time': 'Thời gian',
    'audit.filter': 'Lọc',
    'audit.csv': 'Tải CSV',
    'audit.more': 'Xem thêm',
    'audit.none': 'Không có bản ghi nào.',
    'audit.count': '{n} bản ghi',
    'audit.error': 'Không đọc được nhật ký: {message}',
  },
  en: {
    'login.title': 'Log in',
    'login.name': 'User name',
    'login.password': 'Password',
    'login.submit': 'Log in',
    'login.busy': 'Logging in…',
    'login.wrong': 'Wrong user name or password.',
    'login.locked': 'Too many failed logins from this address. Please wait and try again.',
    'login.failed': 'Could not log in (status {status}).',
    'login.network': 'Cannot reach the server.',
    'login.help': 'Accounts are made by an administrator (hoinghi user add).',
    'logout': 'Log out',
    'audit.title': 'Audit log',
    'audit.from': 'From',
    'audit.to': 'To',
    'audit.actor': 'Actor',
    'audit.action': 'Action',
    'audit.room': 'Room',
    'audit.detail': 'Detail',
    'audit.time': 'Time',
    'audit.filter': 'Filter',
    'audit.csv': 'Download CSV',
    'audit.more': 'More',
    'audit.none': 'No records.',
    'audit.count': '{n} records',
    'audit.error': 'Cannot read the audit log: {message}',
  },
};

/** Translates the page and wires the language button (#lang); `onLang` runs after a switch. */
export function setupPage(onLang) {
  addStrings(STRINGS);
  initLang(new URLSearchParams(location.search).get('lang'));
  applyTranslations(document);
  const title = document.querySelector('[data-page-title]');
  const retitle = () => {
    if (title) document.title = t(title.dataset.pageTitle);
  };
  retitle();
  document.getElementById('lang')?.addEventListener('click', () => {
    setLang(getLang() === 'vi' ? 'en' : 'vi');
    retitle();
    onLang?.();
  });
}

/** Shows `text` in the element (hidden when empty). */
export function showMessage(el, text) {
  el.textContent = text ?? '';
  el.hidden = !text;
}
