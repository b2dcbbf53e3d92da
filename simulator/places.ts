// Approximate places of Bắc Giang city for the demo: plausible, not surveyed.
import type { GeoArea } from '../contract/index.js';
import type { LatLon } from './geo.js';

/** A ward (or commune) the demo city's devices are tagged with: the zones the product is configured with. */
export interface Ward {
  /** Its name as people write it, e.g. `Phường Bắc Giang`. */
  name: string;
  geometry: GeoArea;
}

/** Street names used for station and junction names. */
export const STREETS: readonly string[] = [
  'Hùng Vương',
  'Xương Giang',
  'Ngô Gia Tự',
  'Nguyễn Văn Cừ',
  'Lê Lợi',
  'Trần Phú',
  'Nguyễn Thị Minh Khai',
  'Hoàng Văn Thụ',
  'Giáp Hải',
  'Lý Thái Tổ',
  'Quang Trung',
  'Thánh Thiên',
  'Lê Lai',
  'Nguyễn Khắc Nhu',
  'Trần Nguyên Hãn',
  'Hoàng Hoa Thám',
  'Lý Tự Trọng',
  'Nguyễn Cao',
  'Nguyễn Thị Lưu',
  'Tô Hiến Thành',
  'Huyền Quang',
  'Nguyễn Du',
  'Đào Sư Tích',
  'Vương Văn Trà',
  'Cả Trọng',
  'Ngô Văn Sở',
  'Lê Hoàn',
  'Nguyễn Văn Linh',
  'Lê Lý',
  'Châu Xuyên',
];

export interface Hospital extends LatLon {
  name: string;
  beds: number;
}

export const HOSPITALS: readonly Hospital[] = [
  { name: 'Bệnh viện Đa khoa tỉnh Bắc Giang', lat: 21.2805, lon: 106.1972, beds: 800 },
  { name: 'Bệnh viện Sản Nhi Bắc Giang', lat: 21.2928, lon: 106.2046, beds: 450 },
  { name: 'Bệnh viện Y học cổ truyền Bắc Giang', lat: 21.2762, lon: 106.1897, beds: 250 },
  { name: 'Bệnh viện Phổi Bắc Giang', lat: 21.2612, lon: 106.1808, beds: 200 },
  { name: 'Bệnh viện Đa khoa Anh Quất', lat: 21.2684, lon: 106.2071, beds: 150 },
  { name: 'Trung tâm Y tế thành phố Bắc Giang', lat: 21.2702, lon: 106.1961, beds: 120 },
];

export interface ServiceCentre extends LatLon {
  name: string;
  counters: number;
}

// One-stop offices: since July 2025 the province and each ward run a public-service centre; the
// former wards' offices stay open as reception points of the ward they merged into.
export const SERVICE_CENTRES: readonly ServiceCentre[] = [
  { name: 'Trung tâm Phục vụ hành chính công tỉnh – cơ sở Bắc Giang', lat: 21.2791, lon: 106.1986, counters: 12 },
  { name: 'Trung tâm Phục vụ hành chính công phường Bắc Giang', lat: 21.2744, lon: 106.1946, counters: 8 },
  { name: 'Chi nhánh Văn phòng Đăng ký đất đai khu vực Bắc Giang', lat: 21.2721, lon: 106.2008, counters: 6 },
  { name: 'Bảo hiểm xã hội cơ sở Bắc Giang', lat: 21.2688, lon: 106.1924, counters: 6 },
  { name: 'Điểm tiếp nhận hồ sơ Trần Phú (phường Bắc Giang)', lat: 21.2738, lon: 106.1921, counters: 3 },
  { name: 'Điểm tiếp nhận hồ sơ Ngô Quyền (phường Bắc Giang)', lat: 21.2776, lon: 106.1995, counters: 3 },
  { name: 'Điểm tiếp nhận hồ sơ Hoàng Văn Thụ (phường Bắc Giang)', lat: 21.2694, lon: 106.1879, counters: 3 },
  { name: 'Điểm tiếp nhận hồ sơ Lê Lợi (phường Bắc Giang)', lat: 21.2817, lon: 106.1938, counters: 3 },
  { name: 'Trung tâm Phục vụ hành chính công phường Đa Mai', lat: 21.2596, lon: 106.1852, counters: 3 },
  { name: 'Điểm tiếp nhận hồ sơ Thọ Xương (phường Bắc Giang)', lat: 21.2866, lon: 106.2014, counters: 4 },
  { name: 'Điểm tiếp nhận hồ sơ Xương Giang (phường Bắc Giang)', lat: 21.2915, lon: 106.2119, counters: 3 },
  { name: 'Điểm tiếp nhận hồ sơ Dĩnh Kế (phường Bắc Giang)', lat: 21.2588, lon: 106.2168, counters: 4 },
];

export interface BusRoute {
  code: string;
  name: string;
  /** Waypoints along the roads; an open route is driven there and back. */
  points: readonly LatLon[];
  closed: boolean;
}

export const BUS_ROUTES: readonly BusRoute[] = [
  {
    code: 'BG01',
    name: 'Bến xe Bắc Giang – Dĩnh Kế',
    closed: false,
    points: [
      { lat: 21.2905, lon: 106.187 },
      { lat: 21.284, lon: 106.1915 },
      { lat: 21.277, lon: 106.196 },
      { lat: 21.27, lon: 106.201 },
      { lat: 21.263, lon: 106.209 },
      { lat: 21.257, lon: 106.217 },
    ],
  },
  {
    code: 'BG02',
    name: 'Đa Mai – Xương Giang',
    closed: false,
    points: [
      { lat: 21.299, lon: 106.177 },
      { lat: 21.293, lon: 106.184 },
      { lat: 21.286, lon: 106.195 },
      { lat: 21.289, lon: 106.206 },
      { lat: 21.295, lon: 106.216 },
    ],
  },
  {
    code: 'BG03',
    name: 'Song Mai – Đồng Sơn',
    closed: false,
    points: [
      { lat: 21.306, lon: 106.167 },
      { lat: 21.296, lon: 106.176 },
      { lat: 21.28, lon: 106.188 },
      { lat: 21.265, lon: 106.193 },
      { lat: 21.248, lon: 106.198 },
      { lat: 21.239, lon: 106.202 },
    ],
  },
  {
    code: 'BG04',
    name: 'Vòng trung tâm thành phố',
    closed: true,
    points: [
      { lat: 21.28, lon: 106.188 },
      { lat: 21.281, lon: 106.2 },
      { lat: 21.272, lon: 106.204 },
      { lat: 21.265, lon: 106.196 },
      { lat: 21.27, lon: 106.187 },
    ],
  },
  {
    code: 'BG05',
    name: 'Tân Mỹ – Dĩnh Trì',
    closed: false,
    points: [
      { lat: 21.25, lon: 106.172 },
      { lat: 21.258, lon: 106.183 },
      { lat: 21.268, lon: 106.195 },
      { lat: 21.272, lon: 106.215 },
      { lat: 21.27, lon: 106.236 },
    ],
  },
  {
    code: 'BG06',
    name: 'Xương Giang – Tân Tiến',
    closed: false,
    points: [
      { lat: 21.296, lon: 106.212 },
      { lat: 21.283, lon: 106.21 },
      { lat: 21.266, lon: 106.218 },
      { lat: 21.25, lon: 106.226 },
    ],
  },
];

/** The Thương river south and west of the centre, upstream first. */
export const THUONG_RIVER: readonly LatLon[] = [
  { lat: 21.288, lon: 106.152 },
  { lat: 21.277, lon: 106.164 },
  { lat: 21.265, lon: 106.177 },
  { lat: 21.2565, lon: 106.192 },
  { lat: 21.2525, lon: 106.21 },
  { lat: 21.2455, lon: 106.228 },
  { lat: 21.238, lon: 106.241 },
];

/** Gauge names along the river, upstream first. */
export const GAUGE_NAMES: readonly string[] = [
  'Song Mai',
  'Đa Mai',
  'Mỹ Độ',
  'Cầu Mỹ Độ',
  'Cầu Bắc Giang',
  'Đồng Sơn',
  'Tân Tiến',
  'Cảng Á Lữ',
];
