"""Generate the approximate Huế reference data (units, river, roads, segments, forests, cameras, agencies)."""

from __future__ import annotations

import csv
import json
import math
import random
import sys
import unicodedata
from collections import Counter
from pathlib import Path

import numpy as np
import shapely
from shapely import affinity, ops
from shapely.geometry import LineString, MultiPoint, Point, Polygon, mapping
from shapely.strtree import STRtree
from vietnam_provinces import ProvinceCode, VietNamDivisionType, Ward

ROOT = Path(__file__).resolve().parents[1]
SEED = 20250701
ATTRIBUTION = "Approximate boundaries generated for the demo; not survey data"
# Metric work uses one fixed equirectangular projection: over Huế's 0.75° of latitude the scale error is < 1 %,
# and being affine it keeps containment and Voronoi topology identical to the lon/lat geometry.
KX, KY = 111_320.0 * math.cos(math.radians(16.4)), 110_574.0
N_CAMERAS = 652


def _pairs(flat: tuple[float, ...]) -> list[tuple[float, float]]:
    return [(flat[i], flat[i + 1]) for i in range(0, len(flat), 2)]


# fmt: off
# Hand-laid data tables: ruff format would put one number per line, so they keep this compact layout.
# City outline (lon, lat), clockwise from the Quảng Trị border on the coast: sea to the NE, Hải Vân to the SE,
# Quảng Nam to the S, Laos to the W. Hand-traced at ~5 km resolution.
OUTLINE = _pairs((107.29, 16.743, 107.40, 16.690, 107.50, 16.635, 107.58, 16.593, 107.64, 16.566, 107.72, 16.515,
                  107.80, 16.458, 107.87, 16.400, 107.93, 16.350, 107.97, 16.340, 108.01, 16.338, 108.04, 16.300,
                  108.07, 16.262, 108.10, 16.247, 108.15, 16.236, 108.195, 16.212, 108.17, 16.185, 108.13, 16.180,
                  108.08, 16.175, 108.00, 16.160, 107.94, 16.140, 107.87, 16.090, 107.79, 16.040, 107.72, 15.995,
                  107.64, 16.025, 107.55, 16.070, 107.46, 16.060, 107.38, 16.020, 107.30, 16.050, 107.225, 16.095,
                  107.15, 16.130, 107.10, 16.175, 107.057, 16.225, 107.08, 16.300, 107.115, 16.370, 107.14, 16.420,
                  107.19, 16.460, 107.225, 16.520, 107.215, 16.580, 107.235, 16.640, 107.26, 16.700))

# Placed centroids (lon, lat) keyed by the package's codename without its "phuong_"/"xa_" prefix.
ANCHORS = {
    "phu_xuan": (107.579, 16.473), "kim_long": (107.552, 16.462), "huong_an": (107.535, 16.488),
    "thuan_hoa": (107.5925, 16.4545), "vy_da": (107.614, 16.473), "an_cuu": (107.608, 16.450),
    "thuy_xuan": (107.568, 16.436), "duong_no": (107.618, 16.506), "my_thuong": (107.640, 16.482),
    "hoa_chau": (107.578, 16.522), "thuan_an": (107.642, 16.552), "thanh_thuy": (107.632, 16.440),
    "huong_thuy": (107.630, 16.375), "phu_bai": (107.705, 16.402), "huong_tra": (107.440, 16.475),
    "kim_tra": (107.500, 16.510), "binh_dien": (107.470, 16.345), "phong_dien": (107.360, 16.585),
    "phong_thai": (107.420, 16.550), "phong_dinh": (107.300, 16.665), "phong_phu": (107.270, 16.530),
    "phong_quang": (107.400, 16.640), "dan_dien": (107.480, 16.610), "quang_dien": (107.530, 16.570),
    "phu_vinh": (107.720, 16.498), "phu_ho": (107.670, 16.470), "phu_vang": (107.735, 16.440),
    "vinh_loc": (107.880, 16.385), "hung_loc": (107.740, 16.310), "loc_an": (107.810, 16.335),
    "phu_loc": (107.885, 16.268), "chan_may_lang_co": (108.030, 16.265), "long_quang": (107.600, 16.090),
    "nam_dong": (107.770, 16.090), "khe_tre": (107.700, 16.175), "a_luoi_1": (107.130, 16.360),
    "a_luoi_2": (107.215, 16.285), "a_luoi_3": (107.275, 16.210), "a_luoi_4": (107.350, 16.130),
    "a_luoi_5": (107.190, 16.150),
}

RIVER = _pairs((107.553, 16.396, 107.556, 16.403, 107.553, 16.410, 107.549, 16.417, 107.546, 16.424, 107.542, 16.431,
                107.540, 16.438, 107.540, 16.445, 107.543, 16.451, 107.548, 16.4545, 107.554, 16.4555, 107.560, 16.4555,
                107.566, 16.4558, 107.5715, 16.4555, 107.5775, 16.4555, 107.581, 16.458, 107.585, 16.4615,
                107.5895, 16.4655, 107.594, 16.469, 107.5985, 16.472, 107.6025, 16.4765, 107.606, 16.4815,
                107.6095, 16.4865, 107.613, 16.492, 107.616, 16.4985, 107.6185, 16.506, 107.621, 16.514,
                107.624, 16.522, 107.627, 16.530, 107.630, 16.538, 107.633, 16.546, 107.636, 16.554, 107.6385, 16.561))
# Seaward edge NW->SE behind the sand bar, then the landward edge back, widening into Cầu Hai in the SE.
LAGOON = _pairs((107.41, 16.672, 107.45, 16.650, 107.50, 16.622, 107.55, 16.596, 107.60, 16.571, 107.63, 16.558,
                 107.66, 16.540, 107.70, 16.516, 107.74, 16.489, 107.78, 16.461, 107.82, 16.430, 107.86, 16.398,
                 107.90, 16.362, 107.93, 16.338, 107.945, 16.320, 107.93, 16.300, 107.895, 16.292, 107.86, 16.300,
                 107.835, 16.318, 107.815, 16.345, 107.795, 16.395, 107.775, 16.440, 107.74, 16.468, 107.70, 16.496,
                 107.66, 16.522, 107.64, 16.545, 107.62, 16.549, 107.60, 16.556, 107.56, 16.575, 107.52, 16.592,
                 107.48, 16.612, 107.44, 16.633, 107.41, 16.652))

# (name, kind, target segment length in m, flat lon/lat vertices). Shared junction points are typed identically so
# that hot spots sit where the named streets meet.
ROADS = [
    ("Quốc lộ 1A", "national", 2500, (107.25, 16.645, 107.275, 16.625, 107.355, 16.583, 107.395, 16.562, 107.42,
                                        16.548, 107.45, 16.530, 107.475, 16.518, 107.50, 16.505, 107.53, 16.494,
                                        107.559, 16.480)),
    ("Nguyễn Tất Thành", "national", 1200, (107.612, 16.451, 107.62, 16.443, 107.632, 16.434, 107.646, 16.426,
                                             107.66, 16.419, 107.675, 16.412, 107.688, 16.407, 107.70, 16.402)),
    ("Quốc lộ 1A", "national", 2500, (107.70, 16.402, 107.725, 16.385, 107.75, 16.365, 107.775, 16.345, 107.80,
                                        16.325, 107.83, 16.300, 107.86, 16.280, 107.885, 16.268, 107.915, 16.262,
                                        107.945, 16.268, 107.975, 16.275, 108.005, 16.268, 108.035, 16.262, 108.06,
                                        16.250, 108.08, 16.235, 108.095, 16.218, 108.105, 16.200)),
    ("Quốc lộ 49", "national", 2500, (107.556, 16.451, 107.55, 16.442, 107.547, 16.430, 107.544, 16.418, 107.53,
                                        16.400, 107.515, 16.385, 107.495, 16.368, 107.47, 16.350, 107.44, 16.340,
                                        107.405, 16.335, 107.37, 16.325, 107.335, 16.310, 107.30, 16.295, 107.265,
                                        16.282, 107.23, 16.275)),
    ("Đường Hồ Chí Minh", "national", 2800, (107.17, 16.435, 107.15, 16.400, 107.145, 16.365, 107.165, 16.330,
                                              107.195, 16.300, 107.23, 16.275, 107.255, 16.240, 107.275, 16.205,
                                              107.30, 16.170, 107.33, 16.135, 107.36, 16.100, 107.39, 16.065)),
    ("Đường Hồ Chí Minh nhánh Đông", "national", 2800, (107.75, 16.365, 107.735, 16.320, 107.72, 16.270, 107.71,
                                                         16.220, 107.70, 16.175, 107.69, 16.130, 107.65, 16.100,
                                                         107.60, 16.085)),
    ("Quốc lộ 49B", "national", 2800, (107.33, 16.716, 107.40, 16.683, 107.45, 16.656, 107.50, 16.628, 107.55, 16.602,
                                         107.60, 16.577, 107.64, 16.559, 107.68, 16.534, 107.72, 16.508, 107.76,
                                         16.480, 107.80, 16.451, 107.835, 16.422, 107.87, 16.393, 107.90, 16.368)),
    ("Tỉnh lộ 4", "arterial", 1500, (107.578, 16.4875, 107.57, 16.505, 107.56, 16.525, 107.545, 16.545, 107.53,
                                     16.565, 107.51, 16.580)),
    ("Tỉnh lộ 10", "arterial", 1500, (107.614, 16.479, 107.635, 16.476, 107.66, 16.470, 107.685, 16.462, 107.71,
                                      16.453, 107.735, 16.443, 107.76, 16.432)),
    ("Đường lên Bạch Mã", "street", 1200, (107.86, 16.280, 107.855, 16.260, 107.85, 16.240, 107.852, 16.220, 107.848,
                                           16.200)),
    ("Lê Lợi", "arterial", 300, (107.575, 16.453, 107.579, 16.4551, 107.5826, 16.4571, 107.5865, 16.4605, 107.588,
                                 16.4618, 107.5907, 16.4641, 107.5935, 16.4661, 107.595, 16.4672, 107.60, 16.4705)),
    ("Hùng Vương", "arterial", 300, (107.5907, 16.4641, 107.595, 16.4612, 107.599, 16.4588, 107.603, 16.456, 107.6075,
                                     16.4535, 107.612, 16.451)),
    ("Trần Hưng Đạo", "arterial", 300, (107.5804, 16.4599, 107.5883, 16.4669, 107.5935, 16.4712, 107.5975, 16.4745)),
    ("Lê Duẩn", "arterial", 300, (107.5804, 16.4599, 107.576, 16.457, 107.57, 16.463, 107.565, 16.468, 107.561,
                                  16.4725, 107.559, 16.480)),
    ("Điện Biên Phủ", "arterial", 300, (107.579, 16.4551, 107.5815, 16.451, 107.5835, 16.4475, 107.585, 16.4445)),
    ("Trần Phú", "arterial", 300, (107.5865, 16.4605, 107.588, 16.456, 107.5893, 16.4515, 107.5905, 16.447)),
    ("Duy Tân", "arterial", 300, (107.580, 16.444, 107.585, 16.4445, 107.5905, 16.447, 107.596, 16.4485, 107.602,
                                  16.449, 107.607, 16.448)),
    ("Bà Triệu", "arterial", 300, (107.60, 16.4705, 107.6008, 16.4675, 107.6015, 16.464, 107.6022, 16.460, 107.603,
                                   16.456)),
    ("Nguyễn Thái Học", "street", 300, (107.5935, 16.4661, 107.5975, 16.465, 107.6015, 16.464)),
    ("Lê Quý Đôn", "street", 300, (107.6015, 16.464, 107.599, 16.4588, 107.5955, 16.455, 107.5925, 16.452)),
    ("Dương Văn An", "street", 300, (107.6015, 16.464, 107.606, 16.4648, 107.611, 16.4655)),
    ("Võ Nguyên Giáp", "arterial", 350, (107.6095, 16.4605, 107.614, 16.458, 107.618, 16.456, 107.624, 16.453,
                                         107.631, 16.450, 107.638, 16.447)),
    ("Hoàng Quốc Việt", "street", 300, (107.614, 16.4655, 107.618, 16.456, 107.6195, 16.448)),
    ("Tố Hữu", "arterial", 350, (107.612, 16.451, 107.6195, 16.448, 107.627, 16.444, 107.636, 16.4395, 107.645,
                                 16.435)),
    ("Nguyễn Sinh Cung", "arterial", 350, (107.60, 16.4705, 107.6065, 16.476, 107.61, 16.481, 107.614, 16.4865,
                                           107.6175, 16.493)),
    ("Phạm Văn Đồng", "arterial", 450, (107.6065, 16.476, 107.614, 16.479, 107.623, 16.488, 107.63, 16.500, 107.635,
                                        16.513, 107.6395, 16.526, 107.642, 16.539)),
    ("Trường Chinh", "street", 300, (107.588, 16.456, 107.593, 16.4535, 107.598, 16.4515, 107.603, 16.450)),
    ("Nguyễn Khoa Chiêm", "street", 300, (107.585, 16.4445, 107.588, 16.442, 107.593, 16.440, 107.598, 16.4385)),
    ("Ngự Bình", "street", 300, (107.585, 16.4445, 107.584, 16.440, 107.5825, 16.435)),
    ("Tăng Bạt Hổ", "street", 300, (107.5935, 16.4712, 107.588, 16.477, 107.5825, 16.483, 107.578, 16.4875)),
    ("Lý Thái Tổ", "arterial", 300, (107.578, 16.4875, 107.57, 16.4815, 107.559, 16.480)),
    ("Đinh Tiên Hoàng", "street", 300, (107.5845, 16.4665, 107.579, 16.472, 107.574, 16.477, 107.572, 16.479)),
    ("Mai Thúc Loan", "street", 300, (107.589, 16.471, 107.584, 16.476, 107.579, 16.481)),
    ("Lê Thánh Tôn", "street", 300, (107.570, 16.470, 107.576, 16.4755, 107.5815, 16.4805)),
    ("Kim Long", "street", 300, (107.566, 16.4576, 107.56, 16.458, 107.554, 16.4578, 107.548, 16.4565, 107.5445,
                                 16.454)),
    ("Bùi Thị Xuân", "street", 300, (107.575, 16.453, 107.568, 16.4525, 107.562, 16.452, 107.556, 16.451)),
    ("Nguyễn Hoàng", "street", 300, (107.566, 16.4576, 107.5655, 16.463, 107.565, 16.468)),
    ("Nguyễn Huệ", "street", 300, (107.5826, 16.4571, 107.586, 16.4545, 107.59, 16.452, 107.594, 16.4495)),
    ("Hà Nội", "street", 300, (107.588, 16.4618, 107.5915, 16.459, 107.595, 16.4565)),
    ("Chi Lăng", "street", 300, (107.5975, 16.4745, 107.601, 16.479, 107.6045, 16.484, 107.608, 16.489)),
    ("Huỳnh Thúc Kháng", "street", 300, (107.595, 16.476, 107.599, 16.482, 107.603, 16.488, 107.606, 16.494)),
    ("Nguyễn Văn Linh", "arterial", 350, (107.559, 16.480, 107.554, 16.486, 107.548, 16.492, 107.54, 16.499)),
    ("Minh Mạng", "arterial", 400, (107.58, 16.444, 107.576, 16.438, 107.572, 16.430, 107.569, 16.420, 107.566,
                                    16.410)),
    ("Lê Ngô Cát", "street", 350, (107.5825, 16.435, 107.586, 16.425, 107.59, 16.415, 107.592, 16.403)),
    ("Cầu Trường Tiền", "arterial", 500, (107.5883, 16.4669, 107.5907, 16.4641)),
    ("Cầu Phú Xuân", "arterial", 500, (107.5804, 16.4599, 107.5826, 16.4571)),
    ("Cầu Dã Viên", "arterial", 500, (107.566, 16.4576, 107.5662, 16.454)),
]
SPEED = {"national": (60, 80), "arterial": (40, 55), "street": (30, 45)}
# (name, roads that count, lon, lat, radius m): a segment of a listed road within the radius is a hot spot.
HOT_SPOTS = [
    ("Cầu Kho Rèn → Trần Phú–Duy Tân", {"Trần Phú"}, 107.5899, 16.4492, 320),
    ("Võ Nguyên Giáp–Hoàng Quốc Việt", {"Võ Nguyên Giáp", "Hoàng Quốc Việt"}, 107.618, 16.456, 250),
    ("Bà Triệu–Nguyễn Thái Học–Lê Quý Đôn–Dương Văn An", {"Bà Triệu", "Nguyễn Thái Học", "Lê Quý Đôn", "Dương Văn An"},
     107.6015, 16.464, 250),
    ("Nguyễn Khoa Chiêm–Ngự Bình–Duy Tân", {"Nguyễn Khoa Chiêm", "Ngự Bình", "Duy Tân"}, 107.585, 16.4445, 250),
    ("Cầu Trường Tiền", {"Cầu Trường Tiền"}, 107.5895, 16.4655, 300),
]
# (name, forest_type, lon, lat, radius km, forest-watch cameras)
FORESTS = [
    ("Rừng tự nhiên Hồng Vân", "natural", 107.150, 16.385, 3.5, 3),
    ("Rừng keo Hồng Thượng", "acacia_plantation", 107.195, 16.330, 2.5, 1),
    ("Rừng phòng hộ A Lưới", "mixed", 107.240, 16.300, 3.0, 3),
    ("Rừng tự nhiên Hương Phong – A Lưới", "natural", 107.300, 16.230, 4.0, 3),
    ("Rừng tự nhiên A Lưới 4", "natural", 107.380, 16.140, 4.5, 3),
    ("Rừng tự nhiên A Roàng", "natural", 107.190, 16.165, 4.0, 3),
    ("Rừng keo A Lưới 5", "acacia_plantation", 107.240, 16.125, 2.5, 1),
    ("Rừng tự nhiên Thượng Quảng", "natural", 107.570, 16.100, 4.0, 3),
    ("Rừng keo Hương Hữu", "acacia_plantation", 107.640, 16.130, 2.5, 1),
    ("Rừng tự nhiên Thượng Nhật", "natural", 107.760, 16.060, 4.0, 3),
    ("Rừng keo Khe Tre", "acacia_plantation", 107.700, 16.205, 2.5, 3),
    ("Rừng hỗn giao Hương Lộc", "mixed", 107.655, 16.180, 2.5, 2),
    ("Vườn quốc gia Bạch Mã – phân khu 1", "natural", 107.850, 16.200, 4.0, 4),
    ("Vườn quốc gia Bạch Mã – phân khu 2", "natural", 107.800, 16.150, 4.0, 3),
    ("Vườn quốc gia Bạch Mã – phân khu 3", "natural", 107.930, 16.190, 3.5, 2),
    ("Rừng keo Lộc Sơn", "acacia_plantation", 107.790, 16.290, 2.0, 1),
    ("Rừng phòng hộ Hải Vân", "mixed", 108.130, 16.200, 2.5, 2),
    ("Rừng keo Phong Mỹ", "acacia_plantation", 107.240, 16.540, 3.5, 3),
    ("Rừng thông Phong Xuân", "pine", 107.300, 16.480, 3.0, 3),
    ("Rừng keo Phong Sơn", "acacia_plantation", 107.350, 16.530, 2.5, 2),
    ("Đồi thông Phong Thái", "pine", 107.410, 16.510, 2.0, 1),
    ("Rừng thông Hương Thọ", "pine", 107.520, 16.400, 2.5, 2),
    ("Rừng keo Hương Vân", "acacia_plantation", 107.420, 16.430, 3.0, 2),
    ("Rừng thông Hương Hồ", "pine", 107.500, 16.478, 1.5, 1),
    ("Rừng tự nhiên Bình Điền", "natural", 107.430, 16.330, 3.5, 2),
    ("Rừng thông Khải Định", "pine", 107.592, 16.402, 1.5, 2),
    ("Rừng thông Dương Hòa", "pine", 107.640, 16.330, 3.0, 2),
    ("Rừng thông Thiên An", "pine", 107.555, 16.425, 1.2, 1),
]
# Security cameras per unit: the old-city phường get most, as the public "650+ cameras" are mostly urban.
SECURITY = {
    "phu_xuan": 55, "thuan_hoa": 55, "an_cuu": 20, "vy_da": 16, "kim_long": 12, "thuy_xuan": 10, "thuan_an": 10,
    "phu_bai": 10, "huong_an": 8, "duong_no": 6, "my_thuong": 6, "hoa_chau": 6, "thanh_thuy": 6, "huong_thuy": 6,
    "huong_tra": 6, "phong_dien": 5, "phu_loc": 5, "chan_may_lang_co": 5, "quang_dien": 4, "a_luoi_2": 4, "khe_tre": 3,
}
URBAN = {"phu_xuan", "thuan_hoa", "an_cuu", "vy_da", "kim_long", "thuy_xuan", "huong_an", "thuan_an", "duong_no",
         "my_thuong", "hoa_chau"}
LANDMARKS = [
    ("Ngọ Môn – Đại Nội", 107.579, 16.469), ("Chợ Đông Ba", 107.592, 16.4718), ("Phu Văn Lâu", 107.5815, 16.461),
    ("Ga Huế", 107.576, 16.452), ("Phố đi bộ Nguyễn Đình Chiểu", 107.586, 16.461), ("Bến xe phía Nam", 107.606, 16.454),
    ("Chùa Thiên Mụ", 107.5445, 16.4535), ("Bệnh viện Trung ương Huế", 107.593, 16.462),
    ("Sân bay Phú Bài", 107.703, 16.401), ("Đại học Huế – Lê Lợi", 107.596, 16.467),
    ("Bãi biển Thuận An", 107.645, 16.5595),
]
# (code, name, name_en, kind, categories); city-wide agencies, so unit_code is empty.
AGENCIES = [
    ("IOC", "Trung tâm Giám sát, điều hành đô thị thông minh Huế", "Hue Intelligent Operations Centre", "department",
     "urban_order;security;traffic"),
    ("SXD", "Sở Xây dựng", "Department of Construction", "department", "infrastructure;traffic;urban_order"),
    ("SNNMT", "Sở Nông nghiệp và Môi trường", "Department of Agriculture and Environment", "department",
     "environment;waste;trees_parks"),
    ("SVHTT", "Sở Văn hóa và Thể thao", "Department of Culture and Sports", "department", "heritage"),
    ("CA-TP", "Công an thành phố Huế", "Hue City Police", "police", "security;urban_order"),
    ("CSGT", "Phòng Cảnh sát giao thông – Công an thành phố Huế", "Traffic Police Division, Hue City Police", "police",
     "traffic;security"),
    ("HEPCO", "Công ty CP Môi trường và Công trình đô thị Huế", "Hue Urban Environment and Public Works JSC",
     "utility", "waste;environment;trees_parks;urban_order"),
    ("CSCC", "Công ty CP Chiếu sáng công cộng Huế", "Hue Public Lighting JSC", "utility", "street_lights"),
    ("CVCX", "Công ty CP Công viên cây xanh Huế", "Hue Parks and Green Trees JSC", "utility", "trees_parks"),
    ("PC-HUE", "Công ty Điện lực Huế", "Hue Power Company", "utility", "street_lights;infrastructure"),
    ("HUEWACO", "Công ty CP Cấp nước Huế", "Hue Water Supply JSC", "utility", "infrastructure;environment"),
    ("TTBTDT", "Trung tâm Bảo tồn Di tích Cố đô Huế", "Hue Monuments Conservation Centre", "heritage",
     "heritage;trees_parks"),
    ("CCKL", "Chi cục Kiểm lâm", "Forest Protection Sub-department", "forest", "trees_parks;environment"),
    ("VQG-BM", "Vườn quốc gia Bạch Mã", "Bach Ma National Park", "forest", "environment;trees_parks"),
]
COMMUNE_CATEGORIES = "urban_order;environment;waste;infrastructure;trees_parks"
COMMUNE_AGENCIES = ["phu_xuan", "thuan_hoa", "kim_long", "vy_da", "an_cuu", "thuy_xuan", "huong_an", "thuan_an",
                    "duong_no", "my_thuong", "hoa_chau", "huong_thuy", "phu_bai", "thanh_thuy", "huong_tra",
                    "phong_dien", "quang_dien", "phu_loc"]
UNIT_PROPS = ("code", "name", "name_en", "kind", "lat", "lon", "area_km2", "approximate")
SEGMENT_PROPS = ("segment_id", "road_name", "unit_code", "free_flow_kmh", "length_m", "frc", "hot_spot",
                 "hot_spot_name")
FOREST_PROPS = ("area_id", "name", "unit_code", "forest_type", "area_ha")
CAMERA_COLS = ("camera_id", "name", "unit_code", "lat", "lon", "kind", "capabilities", "segment_id")
AGENCY_COLS = ("agency_code", "name", "name_en", "kind", "unit_code", "categories")
# fmt: on


def ascii_name(text: str) -> str:
    """Strip Vietnamese diacritics (đ is a letter of its own, not a combining mark)."""
    text = text.replace("đ", "d").replace("Đ", "D").replace("–", "-").replace("→", "->")
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def to_m(geom):
    return affinity.scale(geom, KX, KY, origin=(0, 0))


def to_deg(geom):
    return affinity.scale(geom, 1 / KX, 1 / KY, origin=(0, 0))


def rounded(geom):
    """5 decimals (~1 m) on a snapped grid: stable bytes, and the very geometry the tests read back."""
    return shapely.transform(shapely.set_precision(geom, 1e-5), lambda c: np.round(c, 5))


def haversine_m(coords: list[tuple[float, float]]) -> float:
    total = 0.0
    for (lon1, lat1), (lon2, lat2) in zip(coords, coords[1:], strict=False):
        p1, p2, dl = math.radians(lat1), math.radians(lat2), math.radians(lon2 - lon1)
        a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
        total += 2 * 6_371_000 * math.asin(math.sqrt(a))
    return total


def build_units() -> list[dict]:
    """40 Voronoi cells around the placed centroids, clipped to the outline (cover it, never overlap)."""
    wards = sorted(Ward.iter_by_province(ProvinceCode.P_46), key=lambda w: int(w.code))
    if len(wards) != 40:
        raise SystemExit(f"vietnam-provinces returned {len(wards)} units for Huế, expected 40")
    outline = to_m(Polygon(OUTLINE))
    sites = {w.code: to_m(Point(ANCHORS[w.codename.split("_", 1)[1]])) for w in wards}
    cells = ops.voronoi_diagram(MultiPoint(list(sites.values())), envelope=outline.buffer(50_000)).geoms
    units = []
    for w in wards:
        key, name = w.codename.split("_", 1)[1], w.name.removeprefix("Phường ").removeprefix("Xã ")
        geom = rounded(to_deg(next(c for c in cells if c.contains(sites[w.code])).intersection(outline)))
        kind = "phuong" if w.division_type == VietNamDivisionType.PHUONG else "xa"
        lon, lat = ANCHORS[key]
        area_km2 = round(to_m(geom).area / 1e6, 1)
        units.append(dict(code=str(int(w.code)), key=key, name=name, name_en=ascii_name(name), kind=kind, lat=lat,
                          lon=lon, area_km2=area_km2, approximate=True, geom=geom))  # fmt: skip
    return units


def unit_at(units: list[dict], lon: float, lat: float) -> dict | None:
    return next((u for u in units if u["geom"].contains(Point(lon, lat))), None)


def build_segments(units: list[dict], rng: random.Random) -> list[dict]:
    """Cut every road into measuring segments of about its target length, reduced to at most 5 vertices."""
    segments = []
    for name, kind, seg_m, flat in ROADS:
        line = to_m(LineString(_pairs(flat)))
        n = math.ceil(line.length / seg_m)  # ceil keeps every piece in (seg_m/2, seg_m]
        speed = rng.randint(*SPEED[kind])
        frc = 1 if "1A" in name or name == "Nguyễn Tất Thành" else {"national": 2, "arterial": 3}.get(kind, 5)
        frc = 6 if kind == "street" and seg_m >= 1000 else frc  # a rural local road
        for i in range(n):
            piece = ops.substring(line, i * line.length / n, (i + 1) * line.length / n)
            pts = list(piece.coords)
            pts = [pts[round(j * (len(pts) - 1) / 4)] for j in range(5)] if len(pts) > 5 else pts
            geom = rounded(to_deg(LineString(pts)))
            mid = to_deg(piece.interpolate(0.5, normalized=True))
            unit = unit_at(units, mid.x, mid.y) or min(units, key=lambda u: u["geom"].distance(mid))
            hot = [h[0] for h in HOT_SPOTS if name in h[1] and piece.distance(to_m(Point(h[2], h[3]))) <= h[4]]
            length = round(haversine_m(list(geom.coords)))
            if not 150 <= length <= 3000:
                raise SystemExit(f"a segment of {name} is {length} m")
            segments.append(dict(segment_id=f"SEG-{len(segments) + 1:04d}", road_name=name, unit_code=unit["code"],
                                 free_flow_kmh=speed, length_m=length, frc=frc, hot_spot=bool(hot), kind=kind,
                                 hot_spot_name=hot[0] if hot else None, geom=geom, metric=to_m(geom)))  # fmt: skip
    missing = {h[0] for h in HOT_SPOTS} - {s["hot_spot_name"] for s in segments}
    if missing:
        raise SystemExit(f"hot spots without a segment: {missing}")
    return segments


def blob(rng: random.Random, lon: float, lat: float, radius_km: float) -> Polygon:
    """An irregular 14-gon, so forest patches do not look like circles."""
    radii = [radius_km * 1000 * rng.uniform(0.55, 1.0) for _ in range(14)]
    angles = [2 * math.pi * k / 14 for k in range(14)]
    return Polygon(
        [(lon + r * math.cos(a) / KX, lat + r * math.sin(a) / KY) for r, a in zip(radii, angles, strict=True)]
    )


def build_forests(units: list[dict], rng: random.Random) -> list[dict]:
    forests = []
    for i, (name, forest_type, lon, lat, radius, cams) in enumerate(FORESTS, 1):
        unit = unit_at(units, lon, lat)
        # 0.002° (~200 m) inside the unit, so snapping to 1e-5 can never push a vertex across its boundary.
        geom = blob(rng, lon, lat, radius).intersection(unit["geom"].buffer(-0.002))
        geom = rounded(max(getattr(geom, "geoms", [geom]), key=lambda g: g.area))
        forests.append(dict(area_id=f"FOR-{i:03d}", name=name, unit_code=unit["code"], forest_type=forest_type,
                            area_ha=round(to_m(geom).area / 10_000), geom=geom, cams=cams))  # fmt: skip
    return forests


def place(rng: random.Random, inside, units: list[dict], sample) -> tuple[float, float, dict]:
    """Rejection-sample until the rounded point lies in `inside` and in a unit (the tests check the rounded value)."""
    for _ in range(500):
        lon, lat = (round(v, 5) for v in sample())
        unit = unit_at(units, lon, lat)
        if unit and inside.contains(Point(lon, lat)):
            return lon, lat, unit
    raise SystemExit("could not place a camera")


def camera(base: str, unit: dict, lon: float, lat: float, kind: str, capabilities: str, segment_id: str = "") -> dict:
    return dict(base=base, unit_code=unit["code"], lat=f"{lat:.5f}", lon=f"{lon:.5f}", kind=kind,
                capabilities=capabilities, segment_id=segment_id)  # fmt: skip


def build_cameras(units: list[dict], segments: list[dict], forests: list[dict], rng: random.Random) -> list[dict]:
    by_key, cams = {u["key"]: u for u in units}, []
    for f in forests:
        for _ in range(f["cams"]):
            box = f["geom"].bounds
            lon, lat, unit = place(
                rng, f["geom"], units, lambda b=box: (rng.uniform(b[0], b[2]), rng.uniform(b[1], b[3]))
            )
            cams.append(camera(f"Chốt rừng {unit['name']}", unit, lon, lat, "forest", "fire"))
    for key, count in SECURITY.items():
        u, sigma = by_key[key], 0.004 if key in URBAN else 0.008
        for _ in range(count):
            lon, lat, unit = place(
                rng, u["geom"], units, lambda u=u, s=sigma: (rng.gauss(u["lon"], s), rng.gauss(u["lat"], s))
            )
            near = [n for n, x, y in LANDMARKS if haversine_m([(lon, lat), (x, y)]) < 350]
            caps = rng.choice(["face", "face;crowding", "plate;face"])
            cams.append(camera(near[0] if near else f"An ninh {unit['name']}", unit, lon, lat, "security", caps))
    # Traffic: every segment of NR1A/NR49, a dozen on other routes, then city streets (hot spots twice) to the total.
    main_routes = {"Quốc lộ 1A", "Quốc lộ 49", "Nguyễn Tất Thành"}
    picks = [(s, 0.5) for s in segments if s["road_name"] in main_routes]
    other = [
        s for s in segments if s["kind"] != "street" and s["length_m"] > 1000 and s["road_name"] not in main_routes
    ]
    picks += [(s, 0.5) for s in rng.sample(other, 12)]
    city = [s for s in segments if s["length_m"] <= 1000]
    rest = [(s, f) for f in (0.15, 0.6) for s in city if not s["hot_spot"]]
    rng.shuffle(rest)
    picks = (picks + [(s, f) for s in city if s["hot_spot"] for f in (0.15, 0.85)] + rest)[: N_CAMERAS - len(cams)]
    tree = STRtree([s["metric"] for s in segments])
    for seg, frac in picks:
        p = seg["metric"].interpolate(frac, normalized=True)
        lon, lat = round(p.x / KX, 5), round(p.y / KY, 5)
        unit, here, road = unit_at(units, lon, lat), to_m(Point(lon, lat)), seg["road_name"]
        crossing = sorted({segments[i]["road_name"] for i in tree.query(here.buffer(60))} - {road})
        if road.startswith("Cầu "):
            base = road
        elif crossing and crossing[0].startswith("Cầu "):
            base = f"Đầu c{crossing[0][1:]} – {road}"
        elif crossing:
            base = f"Ngã tư {road} – {crossing[0]}"
        else:
            base = f"{road} – {unit['name']}" if seg["kind"] == "national" else road
        caps = (
            "plate;congestion"
            if seg["kind"] == "national"
            else rng.choice(["plate;congestion", "plate;congestion;crowding"])
        )
        cams.append(camera(base, unit, lon, lat, "traffic", caps, segments[int(tree.nearest(here))]["segment_id"]))
    # Numbered names only where a name repeats, e.g. "Chốt rừng A Lưới 3 #2"; ids run traffic, security, forest.
    cams.sort(key=lambda c: ("traffic", "security", "forest").index(c["kind"]))  # stable sort
    totals, seen = Counter(c["base"] for c in cams), Counter()
    for i, c in enumerate(cams, 1):
        seen[c["base"]] += 1
        c["camera_id"] = f"CAM-{i:04d}"
        c["name"] = f"{c['base']} #{seen[c['base']]}" if totals[c["base"]] > 1 else c["base"]
    return cams


def build_agencies(units: list[dict]) -> list[dict]:
    """City-wide agencies, then the People's Committees (UBND) of the most populous units."""
    rows = [
        dict(zip(AGENCY_COLS, (code, name, en, kind, "", cats), strict=True)) for code, name, en, kind, cats in AGENCIES
    ]
    by_key = {u["key"]: u for u in units}
    for u in (by_key[k] for k in COMMUNE_AGENCIES):
        level_vi, level_en = ("phường", "Ward") if u["kind"] == "phuong" else ("xã", "Commune")
        code = "UB-" + u["name_en"].upper().replace(" ", "").replace("-", "")
        name_en = f"People's Committee of {u['name_en']} {level_en}"
        rows.append(dict(agency_code=code, name=f"UBND {level_vi} {u['name']}", name_en=name_en, kind="commune",
                         unit_code=u["code"], categories=COMMUNE_CATEGORIES))  # fmt: skip
    return rows


def write_geojson(path: Path, items: list[dict], props: tuple[str, ...]) -> None:
    """One feature per line keeps diffs reviewable; sort_keys keeps the bytes stable."""
    features = [
        {"type": "Feature", "geometry": mapping(i["geom"]), "properties": {k: i[k] for k in props}} for i in items
    ]
    body = ",\n".join(json.dumps(f, ensure_ascii=False, sort_keys=True) for f in features)
    head = json.dumps({"attribution": ATTRIBUTION, "type": "FeatureCollection"}, ensure_ascii=False)[:-1]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f'{head}, "features": [\n{body}\n]}}\n', encoding="utf-8")


def write_csv(path: Path, rows: list[dict], cols: tuple[str, ...]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=cols, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def main(root: Path = ROOT) -> list[Path]:
    """Write every reference file under `root` (the repo by default); returns the paths written."""
    rng = random.Random(SEED)
    units = build_units()
    segments = build_segments(units, rng)
    forests = build_forests(units, rng)
    cameras = build_cameras(units, segments, forests, rng)
    water = [dict(geom=LineString(RIVER), name="Sông Hương", kind="river"),
             dict(geom=Polygon(LAGOON), name="Phá Tam Giang – Cầu Hai", kind="lagoon")]  # fmt: skip
    roads = [dict(geom=LineString(_pairs(flat)), name=name, kind=kind) for name, kind, _, flat in ROADS]
    geo, ref = root / "assets" / "geo", root / "data_sources" / "reference"
    outputs = [
        (geo / "units.geojson", units, UNIT_PROPS),
        (geo / "river.geojson", water, ("name", "kind")),
        (geo / "roads.geojson", roads, ("name", "kind")),
        (geo / "segments.geojson", segments, SEGMENT_PROPS),
        (geo / "forest_areas.geojson", forests, FOREST_PROPS),
        (ref / "cameras.csv", cameras, CAMERA_COLS),
        (ref / "agencies.csv", build_agencies(units), AGENCY_COLS),
    ]
    for path, items, cols in outputs:
        (write_csv if path.suffix == ".csv" else write_geojson)(path, items, cols)
    return [path for path, _, _ in outputs]


if __name__ == "__main__":
    for written in main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT):
        print(written)
